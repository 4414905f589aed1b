"""What a stored value is: one detector per kind of personal data, each a yes/no on one value.

Checksums come from ``python-stdnum`` (Luhn for cards, ISO 7064 for IBANs, the national
identifiers with a check digit), phone numbers from ``phonenumbers``, IP addresses from the
standard library. A detector is ``strong`` when a match on its own is evidence enough (an
email address, a card number with a known issuer that passes Luhn); a ``weak`` one (nine
bare digits, a date, a capitalized word) counts only where the column's name agrees.
"""

from __future__ import annotations

import importlib
import ipaddress
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import phonenumbers
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.ch import ssn as ch_ssn
from stdnum.es import dni, nie
from stdnum.fi import hetu
from stdnum.it import codicefiscale
from stdnum.se import personnummer
from stdnum.us import ssn as us_ssn

EMAIL = "user.contact.email"
PHONE = "user.contact.phone_number"
IP = "user.device.ip_address"
CARD = "user.financial.credit_card"
BANK = "user.financial.bank_account"
NATIONAL_ID = "user.government_id.national_identification_number"
BIRTH = "user.demographic.date_of_birth"
STREET = "user.contact.address.street"
ADDRESS = "user.contact.address"
POSTAL = "user.contact.address.postal_code"
CITY = "user.contact.address.city"
STATE = "user.contact.address.state"
COUNTRY = "user.contact.address.country"
PRECISE = "user.location.precise"
NAME = "user.name"
PASSWORD = "user.authorization.password"
SOCIAL = "user.contact.social_url"
DEVICE_ID = "user.device.device_id"
TEXT = "user.content.private"
DEVICE = "user.device"

_EMAIL = re.compile(r"[\w.%+'!#$&*/=?^`{|}~-]+@(?:[\w-]+\.)+[A-Za-z]{2,24}")
_EMAIL_FULL = re.compile(rf"^{_EMAIL.pattern}$")
_PHONE_SHAPE = re.compile(r"^(?:\+|00)?[\d\s().\-/]{7,24}(?:\s*(?:x|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
_PHONE_IN_TEXT = re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}(?![\w])")
_DATE_LIKE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_CARD_SHAPE = re.compile(r"^\d(?:[ -]?\d){12,18}$")
_CARD_IN_TEXT = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{10,32}$")
_IBAN_IN_TEXT = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SSN_DASHED = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_SSN_IN_TEXT = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_NINE_DIGITS = re.compile(r"^\d{9}$")
_LAT_LNG = re.compile(r"^\(?\s*(-?\d{1,2}\.\d{3,})\s*[,; ]\s*(-?\d{1,3}\.\d{3,})\s*\)?$")
_USER_AGENT = re.compile(r"^(?:Mozilla|Opera|Dalvik|curl|okhttp|Safari|Chrome)/\d")
_PASSWORD_HASH = re.compile(
    r"^(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$\S+|"
    r"\$[156]\$[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|pbkdf2_sha(?:1|256|512)\$\d+\$\S+\$\S+|"
    r"\{(?:SSHA|SHA|SSHA256|SSHA512)\}[A-Za-z0-9+/=]{20,})$")
_SOCIAL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?(?:twitter\.com|x\.com|facebook\.com|fb\.com|instagram\.com|"
                     r"linkedin\.com/in|github\.com|tiktok\.com/@|youtube\.com/(?:@|c/|user/)|threads\.net/@|"
                     r"mastodon\.social/@|pinterest\.com|snapchat\.com/add)/?[A-Za-z0-9_.@%-]{2,}/?$", re.IGNORECASE)
_MAC = re.compile(r"^(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_POSTAL = re.compile(r"^(?=.*\d)[A-Z0-9][A-Z0-9 \-]{1,8}[A-Z0-9]$", re.IGNORECASE)

_STREET_WORDS = frozenset((
    # English
    "street st avenue ave road rd boulevard blvd lane ln drive dr way court ct place pl terrace parkway pkwy "
    "highway hwy circle cir square sq crescent close row trail trl alley loop "
    # German, Dutch, Scandinavian, Finnish
    "straße strasse str weg gasse platz allee ring damm ufer straat laan gracht plein kade steeg singel vej "
    "gade gatan gata vägen veien gate tie katu "
    # Romance languages
    "rue chemin impasse allée quai calle avenida plaza paseo carrera camino via viale piazza corso vicolo "
    "rua travessa largo praça estrada rodovia "
    # Polish, Czech, Turkish
    "ulica ul al aleja ulice náměstí sokak sokağı caddesi cad").split())
#: how German, Dutch and Nordic street names end when written as one word (Hauptstraße, Kerkstraat)
_JOINED_SUFFIXES = ("straße", "strasse", "str", "weg", "baan", "pad", "dreef", "dijk", "markt", "plantsoen", "gasse", "platz", "allee", "ring", "damm", "straat",
                    "laan", "gracht", "steeg", "singel", "plein", "kade", "vej", "gade", "gatan", "vägen",
                    "veien", "katu", "tie")
_HOUSE_NUMBER = re.compile(r"^\d{1,5}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?,?$")
_NAME_TOKEN = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’\-.])*$")


def text_of(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return ""
    return str(value).strip()


def is_email(text: str) -> bool:
    return len(text) <= 320 and _EMAIL_FULL.match(text) is not None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def phone_kind(text: str, region: str = "US") -> str | None:
    """``formatted`` (separators or a country code: a person wrote it), ``bare`` (digits
    only, as order numbers also are, valid in ``region``), ``bare_elsewhere`` (digits only,
    valid in another region) or ``None`` when it is no phone number."""
    if not _PHONE_SHAPE.match(text) or _DATE_LIKE.match(text) or _DECIMAL.match(text):
        return None
    digits = _digits(text)
    if not 7 <= len(digits) <= 15:
        return None
    if text.isdigit():  # bare digits: a valid number of the default region, or one elsewhere
        if _number(text, region, valid=True):
            return "bare"
        return "bare_elsewhere" if any(_number(text, r, valid=True) for r in _REGIONS) else None
    if any(_number(text, r, valid=False) for r in (region, *_REGIONS) if r):
        return "formatted"
    return None


#: regions a formatted national number is tried in when it is not one of the default region's
_REGIONS = ("GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "PL", "PT", "BR", "MX", "JP", "IN",
            "AU", "CA")


def _number(text: str, region: str, *, valid: bool) -> bool:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) if valid else phonenumbers.is_possible_number(number)


_ISSUERS = (
    (re.compile(r"^4"), (13, 16, 19)),
    (re.compile(r"^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))"), (16,)),
    (re.compile(r"^3[47]"), (15,)),
    (re.compile(r"^(6011|65|64[4-9])"), (16, 19)),
    (re.compile(r"^35(2[89]|[3-8]\d)"), (16, 19)),
    (re.compile(r"^3(0[0-5]|[68])"), (14, 16, 19)),
    (re.compile(r"^62"), (16, 17, 18, 19)),
    (re.compile(r"^(50|5[6-9]|6[0-9])"), (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (re.compile(r"^(2131|1800)"), (15,)),  # JCB's fifteen-digit numbers
)


def is_card(text: str) -> bool:
    """A payment card number: a known issuer's prefix and length, and the Luhn check."""
    if not _CARD_SHAPE.match(text):
        return False
    digits = _digits(text)
    if len(set(digits)) < 2:
        return False
    return any(p.match(digits) and len(digits) in lengths for p, lengths in _ISSUERS) and luhn.is_valid(digits)


def is_iban(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    return _IBAN_SHAPE.match(compact) is not None and bool(iban.is_valid(compact))


def ssn_kind(text: str) -> str | None:
    """``dashed`` (123-45-6789), ``bare`` (nine digits) or ``None``; the ranges the Social
    Security Administration never issues (000, 666, 9xx, group 00, serial 0000) are not SSNs."""
    if _SSN_DASHED.match(text):
        return "dashed" if us_ssn.is_valid(text) else None
    if _NINE_DIGITS.match(text):
        return "bare" if us_ssn.is_valid(text) else None
    return None


#: national identifiers whose format and check character are specific enough to stand alone
_NATIONAL: tuple[tuple[str, Callable[[str], bool], re.Pattern[str]], ...] = (
    ("es_dni", dni.is_valid, re.compile(r"^\d{8}-?[A-Z]$")),
    ("es_nie", nie.is_valid, re.compile(r"^[XYZ]-?\d{7}-?[A-Z]$")),
    ("it_codice_fiscale", codicefiscale.is_valid, re.compile(r"^[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]$")),
    ("fi_hetu", hetu.is_valid, re.compile(r"^\d{6}[-+A]\d{3}[0-9A-Y]$")),
    ("br_cpf", cpf.is_valid, re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")),
    ("ch_ahv", ch_ssn.is_valid, re.compile(r"^756\.\d{4}\.\d{4}\.\d{2}$")),
    ("se_personnummer", personnummer.is_valid, re.compile(r"^\d{6,8}[-+]\d{4}$")),
    ("gb_nino", lambda t: True, re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]$")),
)


def national_kind(text: str) -> str | None:
    upper = text.upper()
    for name, check, shape in _NATIONAL:
        if shape.match(upper) and check(upper):
            return name
    return None


def is_ip(text: str) -> bool:
    if not text or len(text) > 45 or (":" not in text and text.count(".") != 3):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_lat_lng(text: str) -> bool:
    """A precise position written as one value: ``37.7749,-122.4194`` (three decimals or more)."""
    found = _LAT_LNG.match(text)
    if found is None:
        return False
    lat, lng = float(found.group(1)), float(found.group(2))
    return -90 <= lat <= 90 and -180 <= lng <= 180


@cache
def street_words() -> frozenset[str]:
    """Street types in every language Faker ships (its address providers' suffixes and
    prefixes: Station, Summit, Rodovia, Aleea...), with the common ones of this module."""
    import faker.providers.address as address

    found: set[str] = set(_STREET_WORDS)
    for module in pkgutil.iter_modules(address.__path__):
        provider = importlib.import_module(f"{address.__name__}.{module.name}").Provider
        for attr in ("street_suffixes", "street_prefixes", "street_suffixes_long", "street_suffixes_short",
                     "street_prefixes_long", "street_prefixes_short"):
            value = provider.__dict__.get(attr)
            if isinstance(value, dict):
                value = list(value)
            if isinstance(value, list | tuple):
                found.update(w.strip().rstrip(".").casefold() for w in value
                             if isinstance(w, str) and w.strip() and " " not in w.strip())
    return frozenset(w for w in found if len(w) >= 2)


def is_street(text: str) -> bool:
    """A street line: a house number and a street type (``12 Oak Street``, ``Hauptstraße 5``,
    ``43, boulevard Hardy``, ``Flat 16, Henry Summit``), or a street type leading a name
    (``avenue Neveu``, ``Rodovia Vitor Melo``)."""
    if len(text) > 120:
        return False
    tokens = text.replace(",", " , ").split()
    if not 2 <= len(tokens) <= 12:
        return False
    vocabulary = street_words()
    words = [t.rstrip(".").casefold() for t in tokens if t != ","]
    typed = tokens[0] in ("C.", "C/") or any(w in vocabulary or _joined_street(w, vocabulary) for w in words)
    if not typed:
        return False
    if any(_HOUSE_NUMBER.match(t) for t in tokens):
        return True
    # no number: a street type first, then a capitalized name (``avenue Neveu``, ``Rua das Flores``)
    return (words[0] in _LEADING and 2 <= len(words) <= 6 and not any(c.isdigit() for c in text)
            and text[-1] not in ".!?" and all(t[0].isupper() or t.casefold() in _PARTICLES for t in tokens[1:]
                                              if t != ","))


def _joined_street(word: str, vocabulary: frozenset[str]) -> bool:
    """A street type written onto the name (Hauptstraße, Laurenshof, Caloniuksenpolku)."""
    return len(word) > 5 and any(word[-k:] in vocabulary for k in range(4, min(11, len(word) - 1)))


#: street types that lead the name, in the languages that put them first
_LEADING = frozenset("rue avenue boulevard chemin impasse allée quai calle avenida paseo rua rodovia travessa "
                     "via viale piazza corso estrada alameda praça plaza carrera camino ulica aleja".split())
_PARTICLES = frozenset("de du des la le les d' do da dos das del della di van von der den".split())


def is_full_address(text: str) -> bool:
    """A street line followed by a town or postal code: ``1 Main St, Springfield, IL 62701``."""
    if not is_street(text):
        return False
    parts = [p.strip() for p in re.split(r"[,\n]", text) if p.strip()]
    if len(parts) >= 3:
        return True
    # one separator: the town after it carries a postal code (``Hauptstr. 5, 10115 Berlin``)
    return len(parts) == 2 and re.search(r"\b[A-Z0-9]{0,3}\d{3,6}[A-Z0-9]{0,3}\b", parts[1]) is not None


def is_password_hash(text: str) -> bool:
    """A stored password: bcrypt, Argon2, crypt(3) SHA, Django PBKDF2, LDAP salted SHA."""
    return _PASSWORD_HASH.match(text) is not None


def is_social_url(text: str) -> bool:
    """A person's profile on a social network (``https://www.linkedin.com/in/ann-lee``)."""
    return len(text) <= 300 and _SOCIAL.match(text) is not None


def is_mac(text: str) -> bool:
    """A network card's hardware address (``3c:22:fb:0a:91:7e``): it identifies a device."""
    return _MAC.match(text) is not None


def is_user_agent(text: str) -> bool:
    return _USER_AGENT.match(text) is not None


def is_postal_code(text: str) -> bool:
    return _POSTAL.match(text) is not None


def as_date(value: Any) -> date | None:
    """The calendar date a value holds when it holds one without a time of day."""
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) else None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d"):
            try:
                return datetime.strptime(text[:10], pattern).date()
            except ValueError:
                continue
    return None


@cache
def known_names() -> frozenset[str]:
    """Given names and family names of every locale Faker ships (tens of thousands, in
    their own scripts): a word that is one of them is evidence of a person's name."""
    import faker.providers.person as person

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attr in ("first_names", "last_names", "first_names_male", "first_names_female", "last_names_male",
                     "last_names_female"):
            value = provider.__dict__.get(attr)
            if isinstance(value, dict):
                names.update(value)
            elif isinstance(value, list | tuple | set | frozenset):
                names.update(v for v in value if isinstance(v, str))
    return frozenset(n.casefold() for n in names if len(n) > 1)


def name_shape(text: str) -> bool:
    """One to four words of letters (any script), each starting with a capital where the
    script has them: ``María José García-López``, ``O'Neil``, ``山田 太郎``."""
    if not 2 <= len(text) <= 60:
        return False
    words = text.replace(",", " ").split()
    if not 1 <= len(words) <= 5:
        return False
    if not all(_NAME_TOKEN.match(w) for w in words):
        return False
    capitalized = [w for w in words if w[0].isupper() or not w[0].islower()]
    lowered = [w for w in words if w[0].islower()]
    return bool(capitalized) and all(w.split("-")[0].casefold() in _NAME_PARTICLES for w in lowered)


#: lower-case words inside names: particles and titles (Finn van Doorn, pani Aurelia Suchora)
_NAME_PARTICLES = frozenset("van de der den von zu da di du la le del della dos das do y e bin ibn al el "
                            "ter ten op pan pani dr mr mrs ms".split())


def has_known_name(text: str) -> bool:
    names = known_names()
    return any(w.strip(".,").casefold() in names for w in text.replace(",", " ").split())


def is_free_text(text: str) -> bool:
    return len(text) >= 25 and len(text.split()) >= 4


@dataclass(frozen=True)
class Found:
    """What one search of a text found inside it."""

    category: str
    detector: str


def find_inside(text: str, region: str = "US") -> list[Found]:
    """Personal data written inside free text: emails, phones, cards, IBANs, SSNs."""
    found: list[Found] = []
    if _EMAIL.search(text):
        found.append(Found(EMAIL, "email"))
    if any(phone_kind(m.group(0).strip(), region) for m in _PHONE_IN_TEXT.finditer(text)):
        found.append(Found(PHONE, "phone"))
    if any(is_card(m.group(0)) for m in _CARD_IN_TEXT.finditer(text)):
        found.append(Found(CARD, "card"))
    if any(is_iban(m.group(0)) for m in _IBAN_IN_TEXT.finditer(text)):
        found.append(Found(BANK, "iban"))
    if any(us_ssn.is_valid(m.group(0)) for m in _SSN_IN_TEXT.finditer(text)):
        found.append(Found(NATIONAL_ID, "ssn"))
    return found
