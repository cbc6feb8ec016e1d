"""Per-value normalizers. Each takes trimmed text and returns ``(value, repair)``.

``value`` is the normalized text when the input parses, else the input unchanged (the validators then
report INVALID_FORMAT etc. with what the partner typed); ``repair`` is a sentence when a value Excel
mangled was repaired (VALUE_REPAIRED), else None. Every function is idempotent: f(f(x)[0])[0] == f(x)[0].
Callers apply them once per distinct value (see ``normalize.map_distinct``).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, timedelta
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from data.sheets import BILLING_TYPES, DID_PURPOSES, TOLL_FREE_ACTIONS
from transforms.regions import CA_PROVINCES, LEADING_ZERO_ZIP_STATES, STATE_LOOKUP

Result = tuple[str, str | None]

NANP_E164 = re.compile(r"^\+1[2-9]\d{2}[2-9]\d{6}$")
_PHONE_CHARS = re.compile(r"^[\s()+.\-\d]+$")
_NANP_DIGITS = re.compile(r"^1?([2-9]\d{2}[2-9]\d{6})$")
_EXCEL_FLOAT = re.compile(r"^(\+?\d+)\.0+$")


@lru_cache(maxsize=262144)  # the same numbers recur on Customers, Locations and Numbers
def phone(v: str) -> Result:
    """Any NANP spelling -> +1NXXNXXXXXX; `2125550100.0` (Excel float) repaired."""
    if not v:
        return v, None
    # Scientific notation (2.1255501E+09) is NOT repaired: Excel has already dropped digits.
    m = _EXCEL_FLOAT.match(v)
    if m:
        out, _ = phone(m.group(1))
        if NANP_E164.match(out):
            return out, f"'{v}' (a number Excel stored as a decimal) was read as {out}"
        return v, None
    if _PHONE_CHARS.match(v):  # the common case, without phonenumbers: digits and punctuation only
        digits = re.sub(r"\D", "", v)
        d = _NANP_DIGITS.match(digits)
        if d and (not v.startswith("+") or len(digits) == 11):
            return "+1" + d.group(1), None
        return v, None
    try:
        p = phonenumbers.parse(v, "US")
    except phonenumbers.NumberParseException:
        return v, None
    if p.country_code != 1 or p.extension or not phonenumbers.is_valid_number(p):
        return v, None
    out = phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164)
    return (out, None) if NANP_E164.match(out) else (v, None)


_SPLIT_NUMBERS = re.compile(r"[,;\r\n]+")


def phone_list(v: str) -> Result:
    """DIDs.Numbers: split on , ; or line breaks -> "+1...,+1..." when every part parses."""
    parts = [p.strip() for p in _SPLIT_NUMBERS.split(v) if p.strip()]
    out: list[str] = []
    repairs: list[str] = []
    for p in parts:
        n, r = phone(p)
        if not NANP_E164.match(n):
            return v, None
        out.append(n)
        if r:
            repairs.append(r)
    return ",".join(out), ("; ".join(repairs) or None)


def bad_phones(v: str) -> list[str]:
    return [p.strip() for p in _SPLIT_NUMBERS.split(v) if p.strip() and not NANP_E164.match(phone(p.strip())[0])]


US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
CA_POSTAL = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d$")
_CA_LOOSE = re.compile(r"^([A-Za-z]\d[A-Za-z])[\s-]?(\d[A-Za-z]\d)$")


def zip_code(v: str, state: str = "") -> Result:
    """ZIP as text: 12345, 12345-6789, A1A 1A1. A 4- (or 8-) digit ZIP gets its leading zero back when the
    state is one whose ZIPs start with 0 (otherwise it is ambiguous and left for INVALID_FORMAT)."""
    if not v:
        return v, None
    s = v[:-2] if re.fullmatch(r"\d+\.0", v) else v  # Excel float "7042.0"
    if US_ZIP.match(s):
        return s, (None if s == v else f"'{v}' was read as {s}")
    if re.fullmatch(r"\d{9}", s) or re.fullmatch(r"\d{5} \d{4}", s):
        d = re.sub(r"\D", "", s)
        return f"{d[:5]}-{d[5:]}", None
    if re.fullmatch(r"\d{4}(-?\d{4})?", s) and state.upper() in LEADING_ZERO_ZIP_STATES:
        d = "0" + re.sub(r"\D", "", s)
        out = d if len(d) == 5 else f"{d[:5]}-{d[5:]}"
        return out, f"ZIP '{v}' lost its leading zero in Excel; read as {out}"
    m = _CA_LOOSE.match(s)
    if m:
        out = f"{m.group(1)} {m.group(2)}".upper()
        if CA_POSTAL.match(out):
            return out, None
    return v, None


def state(v: str) -> Result:
    code = STATE_LOOKUP.get(re.sub(r"\s+", " ", v.strip(" .")).casefold())
    return (code, None) if code else (v, None)


_COUNTRIES = {"us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US",
              "united states of america": "US", "america": "US", "ca": "CA", "can": "CA", "canada": "CA"}


def country(v: str, state_code: str = "") -> Result:
    """Country: US | CA. Blank -> CA when the state is a Canadian province, else US (the default)."""
    if not v:
        return ("CA" if state_code in CA_PROVINCES else "US"), None
    return _COUNTRIES.get(v.casefold(), v), None


EXCEL_EPOCH = date(1899, 12, 30)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_SERIAL = re.compile(r"^(\d{4,5})(?:\.0+)?$")


def date_text(v: str) -> Result:
    """Excel date (as fastexcel writes it, or a serial), ISO YYYY-MM-DD or US MM/DD/YYYY -> YYYY-MM-DD."""
    if not v:
        return v, None
    d = parse_date(v)
    return (d.isoformat(), None) if d else (v, None)


@lru_cache(maxsize=65536)
def parse_date(v: str) -> date | None:
    try:
        if m := _ISO.match(v):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _US.match(v):
            return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        if m := _SERIAL.match(v):
            n = int(m.group(1))
            return EXCEL_EPOCH + timedelta(days=n) if 20000 <= n <= 80000 else None  # 1954..2119
    except ValueError:
        return None
    return None


_LOCAL_OK = re.compile(r"^[A-Za-z0-9_%+\-]+(\.[A-Za-z0-9_%+\-]+)*$")
_DOMAIN_OK = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$")
SPECIAL_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test", "internal", "home", "lan"}


@lru_cache(maxsize=262144)
def one_email(v: str) -> str | None:
    local, at, dom = v.rpartition("@")
    # Fast path for the common shape (a strict subset of what email-validator accepts); the rest goes to it.
    fast = at and _LOCAL_OK.match(local) and len(local) <= 64 and _DOMAIN_OK.match(dom) and len(v) <= 254
    if fast and dom.rsplit(".", 1)[-1].casefold() not in SPECIAL_TLDS:
        return f"{local}@{dom.lower()}"
    try:
        return validate_email(v, check_deliverability=False).normalized  # never the network
    except EmailNotValidError:
        return None


_EMAIL_SPLIT = re.compile(r"[;,\s]+")


def email_list(v: str) -> Result:
    """One or more addresses separated by ; (also , or spaces) -> 'a@x.com;b@y.com'."""
    parts = [p for p in _EMAIL_SPLIT.split(v) if p]
    out = [one_email(p) for p in parts]
    if not parts or any(o is None for o in out):
        return v, None
    return ";".join(o for o in out if o), None


def bad_emails(v: str) -> list[str]:
    return [p for p in _EMAIL_SPLIT.split(v) if p and one_email(p) is None]


def domain(v: str) -> Result:
    return v.lower(), None


DOMAIN_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://|www\.)|/", re.IGNORECASE)
DOMAIN_OK = re.compile(r"^([a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9\-]{0,62}$")

_TZ_ALIASES = {
    "eastern": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "useastern": "America/New_York", "central": "America/Chicago", "cst": "America/Chicago",
    "cdt": "America/Chicago", "ct": "America/Chicago", "uscentral": "America/Chicago",
    "mountain": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver",
    "usmountain": "America/Denver", "arizona": "America/Phoenix", "usarizona": "America/Phoenix",
    "pacific": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles", "uspacific": "America/Los_Angeles", "alaska": "America/Anchorage",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "usalaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu", "hst": "Pacific/Honolulu", "hawaiialeutian": "Pacific/Honolulu",
    "ushawaii": "Pacific/Honolulu", "atlantic": "America/Halifax", "ast": "America/Halifax",
    "adt": "America/Halifax", "newfoundland": "America/St_Johns", "nst": "America/St_Johns",
    "ndt": "America/St_Johns", "saskatchewan": "America/Regina", "puertorico": "America/Puerto_Rico",
    "easternuscanada": "America/New_York", "centraluscanada": "America/Chicago",
    "mountainuscanada": "America/Denver", "pacificuscanada": "America/Los_Angeles",
}


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.casefold(): z for z in zoneinfo.available_timezones()}


@lru_cache(maxsize=4096)
def time_zone(v: str) -> Result:
    """IANA name (any case) or an alias (Eastern, CST, 'Eastern Standard Time', '(GMT-05:00) Eastern Time
    (US & Canada)') -> IANA name."""
    if not v:
        return v, None
    z = _zones().get(v.casefold())
    if z and "/" in z and not z.startswith("US/"):
        return z, None
    k = re.sub(r"^\(?(gmt|utc)\s*[+\-−]?\d{1,2}(:\d{2})?\)?", "", v.casefold())
    k = re.sub(r"\b(standard|daylight|time|zone)\b", "", k)
    k = re.sub(r"[^a-z]", "", k)
    if k in _TZ_ALIASES:
        return _TZ_ALIASES[k], None
    return (z, None) if z else (v, None)


def is_zone(v: str) -> bool:
    return v in _zones().values()


def _choice(options: tuple[str, ...], aliases: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    table = {re.sub(r"[^a-z]", "", o.casefold()): o for o in options}
    table.update(aliases or {})

    def f(v: str) -> Result:
        return table.get(re.sub(r"[^a-z]", "", v.casefold()), v), None

    return f


billing_type = _choice(BILLING_TYPES, {"billenterprise": BILLING_TYPES[0], "enterprise": BILLING_TYPES[0],
                                       "billgroup": BILLING_TYPES[1], "group": BILLING_TYPES[1]})
purpose = _choice(DID_PURPOSES, {"": "Voice", "fx": "Fax", "efax": "Fax"})
toll_free_action = _choice(TOLL_FREE_ACTIONS, {"portin": "Port", "resporg": "RespOrg Change",
                                              "resporgchangerequest": "RespOrg Change"})


def quantity(v: str) -> Result:
    """Whole number >= 1 as text ('3.0' from a CSV -> '3'); blank is handled by the caller (QUANTITY_DEFAULTED)."""
    m = re.fullmatch(r"\+?0*(\d+)(?:\.0+)?", v)
    return (m.group(1), None) if m else (v, None)
