"""What a column's name suggests it holds, in English and the common abbreviations and in the
languages the rest of Europe names its columns in (``eml``, ``tel``, ``dob``, ``addr1``,
``plz``, ``vorname``, ``fecha_nacimiento``)."""

from __future__ import annotations

import re

from custos.discovery import detectors as d

USERNAME = "user.account.username"
PASSWORD = "user.authorization.password"
GENDER = "user.demographic.gender"
DEVICE_ID = "user.device.device_id"
COOKIE = "user.device.cookie_id"
PASSPORT = "user.government_id.passport_number"
LICENSE = "user.government_id.drivers_license_number"
SELF_IMAGE = "user.content.self_image"
FINGERPRINT = "user.biometric.fingerprint"
IMPRECISE = "user.location.imprecise"
DIAGNOSIS = "user.health.medical_diagnosis"
MEDICATIONS = "user.health.medications"
FAX = "user.contact.fax_number"
JOB_TITLE = "user.job_title"
WORKPLACE = "user.workplace"
AGE = "user.demographic.age_range"
URL = "user.contact.url"

#: one word of a column's name, or two or three written together, and the category it names
_WORDS: dict[str, str] = {}
for _category, _words in {
    d.EMAIL: "email emails eml mail emailaddress email_address e_mail correo courriel mailadresse",
    d.PHONE: "phone phones tel telephone mobile cell cellphone msisdn phonenumber telefono telefone telefon "
             "handynummer mobil portable",
    FAX: "fax",
    d.IP: "ip ipaddr ipaddress ip_addr ip_address remote_addr client_ip",
    d.CARD: "card cc pan creditcard cardnumber card_number ccnum last4 last_four",
    d.BANK: "iban bank bic routing account_number acct_no accountnumber bankaccount",
    d.NATIONAL_ID: "ssn sin nin nino national_id nationalid tax_id taxid tin dni nie cpf bsn pesel aadhaar "
                   "personnummer hetu codice_fiscale codicefiscale nif curp steuer_id social_security",
    PASSPORT: "passport passport_no passport_number",
    LICENSE: "license licence drivers_license driver_license dl_number",
    d.BIRTH: "dob birth birthdate birth_date birthday born date_of_birth geburtsdatum nacimiento "
             "fecha_nacimiento naissance date_naissance nascita data_nascita",
    d.STREET: "street line1 line2 addr1 addr2 address1 address2 address_line address_line1 street_address "
              "strasse straße calle rue",
    d.ADDRESS: "address addr adresse direccion indirizzo endereco ship_address shipping_address "
               "billing_address mailing_address home_address",
    d.POSTAL: "zip zipcode zip_code postal postcode postal_code plz postleitzahl cp codigo_postal",
    d.CITY: "city town ciudad ville citta stadt locality municipality ort",
    d.STATE: "state province county",
    d.COUNTRY: "country pais land_code country_code",
    d.PRECISE: "lat latitude lng lon longitude geo geolocation coordinates coords latlng lat_lng",
    d.NAME: "firstname first_name lastname last_name fullname full_name surname given_name family_name "
            "middle_name fname lname forename nombre apellido apellidos nom prenom vorname nachname "
            "cognome nome customer_name contact_name person_name real_name display_name owner_name "
            "patient_name billing_name shipping_name recipient_name",
    USERNAME: "username user_name login handle nickname screen_name screenname",
    PASSWORD: "password passwd pwd password_hash passwordhash",
    GENDER: "gender sex geschlecht sexo genre",
    d.DEVICE: "user_agent useragent ua browser",
    DEVICE_ID: "device_id deviceid imei idfa advertising_id gaid",
    COOKIE: "cookie cookie_id cookieid visitor_id anonymous_id",
    SELF_IMAGE: "photo avatar picture selfie portrait profile_image profile_picture headshot",
    FINGERPRINT: "fingerprint",
    DIAGNOSIS: "diagnosis diagnoses",
    MEDICATIONS: "medication medications prescription prescriptions",
    AGE: "age alter edad âge age_years",
    URL: "website homepage home_page personal_url blog",
    d.SOCIAL: "twitter facebook instagram linkedin github_url tiktok social_url profile_url",
    d.TEXT: "note notes comment comments message messages body bio about feedback remarks memo "
            "gift_message review",
    JOB_TITLE: "job_title jobtitle position occupation",
    WORKPLACE: "employer company_name workplace",
}.items():
    for _word in _words.split():
        _WORDS[_word] = _category

#: words that say the column is about a thing, not a person (a product's name, a host's IP)
_THINGS = frozenset(
    "product products item items sku company business brand file filename host hostname domain table column "
    "field event category tag plan pet animal species breed store shop warehouse server service campaign "
    "template page app application course vendor supplier merchant".split())

#: words that say a date column records an event, not a birth
EVENTS = frozenset(
    "created updated modified placed paid opened closed start started end ended hire hired joined shipped due "
    "expires expiry expired valid published released founded last at on since until visit visited "
    "deleted sent received booked scheduled".split())


def words(name: str) -> list[str]:
    """``ipAddr`` → ``[ip, addr]``; ``CUSTOMER_EMAIL`` → ``[customer, email]``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[^0-9A-Za-zÀ-ÿ]+", spaced.lower()) if w]


def suggested(name: str) -> str | None:
    """The category a column's name suggests, if any: the longest run of its words that names one."""
    parts = words(name)
    joined = "_".join(parts)
    if joined in _WORDS:
        return _WORDS[joined]
    best: tuple[int, str] | None = None
    for size in (3, 2, 1):
        for start in range(len(parts) - size + 1):
            run = parts[start:start + size]
            for key in ("_".join(run), "".join(run)):
                category = _WORDS.get(key)
                if category is not None and (best is None or size > best[0]):
                    best = (size, category)
        if best is not None:
            break
    if best is None:
        return None
    if best[1] == d.NAME and about_things(name):
        return None
    return best[1]


def about_things(name: str) -> bool:
    return any(w in _THINGS for w in words(name))


def names_an_event(name: str) -> bool:
    return any(w in EVENTS for w in words(name))


def bare_name(name: str) -> bool:
    """A column called just ``name`` (or ``Name``): a person's name only if its values say so."""
    return words(name) == ["name"]
