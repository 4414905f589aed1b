"""The starter data map written by ``custos init``."""

STARTER_MAP = """\
# Custos data map: where personal data lives, why, and what a request may do to it.
# Format: docs/datamap.md and docs/retention.md. Check it with: custos validate --connect
organization:
  name: Example Company, Inc.
  address: 1 Main St, Springfield
  privacy_contact: privacy@example.com
  jurisdictions: [ccpa, gdpr]        # rule sets that apply (custos validate lists the known ones)

systems:                             # the databases Custos connects to
  - key: app_db
    name: Application database
    url: ${APP_DB_URL:-sqlite:///app.db}   # any SQLAlchemy URL; secrets come from the environment
    datasets: [app]

datasets:
  - key: app
    collections:
      - name: users
        fields:
          - {name: id, primary_key: true}
          - {name: email, categories: [user.contact.email], identity: email, erase: mask_hash}
          - {name: name, categories: [user.name], erase: mask_null}
          - {name: last_seen_at, activity: true}   # a date/time of the person's activity: retention's clock
      - name: orders
        fields:
          - {name: id, primary_key: true}
          - {name: user_id, references: {field: users.id, kind: owner}}   # a user's rows lead to their orders
          - {name: address, categories: [user.contact.address], erase: mask_redact}
          - {name: total, categories: [user.behavior.purchase_history], keep_for: tax_records}
          - {name: placed_at, activity: true}      # a recent order keeps the user active

purposes:
  - key: service
    name: Provide the service you signed up for
    lawful_basis: contract
    uses: [essential.service]
    subjects: [customer]
    categories: [user.contact, user.name]
    sources: [the_subject]
    recipients: []
    retention: {period: P3Y, from: last_activity, then: anonymize}   # custos retention plan shows what is due

recipients: []

exceptions:
  - {key: tax_records, basis: legal_obligation, ccpa: "1798.105(d)(8)", gdpr: "17(3)(b)", until: P7Y}
"""
