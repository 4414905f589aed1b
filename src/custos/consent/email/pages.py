"""Email pages: confirm a subscription, the preference center, and RFC 8058 unsubscribe.

``POST /unsubscribe/{token}`` takes effect at once and asks for nothing: no cookie, no
login, no confirmation page (it is what mail clients call for one-click). ``GET`` shows
one page with one button, for people who open the link in a browser.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.consent.context import Consent
from custos.consent.email import contacts, suppression, tokens
from custos.consent.limits import email_limit
from custos.consent.public import ConsentDep
from custos.consent.purposes import email_topics

router = APIRouter(tags=["email preferences"], include_in_schema=True)
# Every page but the one-click POST counts against the rate limit: mailbox providers send that
# POST for many people from few addresses, and an unsubscribe must never be refused.
LIMITED = [Depends(email_limit)]
_PAGES = Environment(loader=PackageLoader("custos.consent", "templates/pages"),
                     autoescape=select_autoescape(default=True), undefined=StrictUndefined)


def page(consent: Consent, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    organization = consent.service.datamap.organization
    html = _PAGES.get_template(f"{name}.html.j2").render(org_name=organization.name, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/email/confirm/{token}", response_class=HTMLResponse, dependencies=LIMITED)
def confirm_page(token: str, consent: ConsentDep) -> HTMLResponse:
    """The confirmation page: one button, so that link scanners do not confirm for the person."""
    link = tokens.read(consent.service, token, "confirm")
    names = [t.name for t in contacts.topics_of(consent, list(link.topics))]
    return page(consent, "confirm", token=token, topics=names)


@router.post("/email/confirm/{token}", response_class=HTMLResponse, dependencies=LIMITED)
def confirm(token: str, request: Request, consent: ConsentDep) -> HTMLResponse:
    topics = contacts.confirm(consent, token, user_agent=request.headers.get("user-agent"))
    names = [t.name for t in contacts.topics_of(consent, topics)] if topics else []
    return page(consent, "confirmed", topics=names)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, dependencies=LIMITED)
def unsubscribe_page(token: str, consent: ConsentDep) -> HTMLResponse:
    link = tokens.read(consent.service, token, "unsubscribe")
    return page(consent, "unsubscribe", token=token, topics=_names(consent, link.topics))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request, consent: ConsentDep) -> HTMLResponse:
    """RFC 8058 one-click: the address is suppressed before this answer is sent."""
    link = tokens.read(consent.service, token, "unsubscribe")
    suppression.unsubscribe(consent, link.address_hmac, list(link.topics), reason="one_click",
                            user_agent=request.headers.get("user-agent"))
    return page(consent, "unsubscribed", topics=_names(consent, link.topics))


@router.get("/email/preferences/{token}", response_class=HTMLResponse, dependencies=LIMITED)
def preferences(token: str, consent: ConsentDep) -> HTMLResponse:
    """The preference center: every topic with a box, one save button."""
    link = tokens.read(consent.service, token, "preferences")
    return page(consent, "preferences", token=token, topics=contacts.topic_state(consent, link.address_hmac),
                saved=False)


@router.post("/email/preferences/{token}", response_class=HTMLResponse, dependencies=LIMITED)
async def save_preferences(token: str, request: Request, consent: ConsentDep) -> HTMLResponse:
    link = tokens.read(consent.service, token, "preferences")
    form = await request.form()
    chosen = [str(v) for v in form.getlist("topic")]
    contacts.set_topics(consent, link.address_hmac, chosen, user_agent=request.headers.get("user-agent"))
    return page(consent, "preferences", token=token, topics=contacts.topic_state(consent, link.address_hmac),
                saved=True)


def _names(consent: Consent, keys: tuple[str, ...]) -> list[str]:
    topics = email_topics(consent.service.datamap)
    return [t.name for t in topics if not keys or t.key in keys]
