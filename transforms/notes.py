"""What partners write in Notes, read the same way by the rules (findings) and the plan (tickets).

The seed's Notes carry "special provisioning information": E911 locations (``transforms.e911``), fax
numbers, IP-fax numbers and e-mails, Smart Record phone numbers, and for a Toll Free Service line "either
the toll free number being ported or that a toll free order has been ordered AND when required".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# A NANP number as people type it: 512-555-0100, (512) 555 0100, +1 512.555.0100, 5125550100.
PHONE = re.compile(r"(?<![\d\w])(?:\+?1[\s.\-]?)?\(?[2-9]\d{2}\)?[\s.\-]?[2-9]\d{2}[\s.\-]?\d{4}(?!\d)")
TOLL_FREE = re.compile(r"(?<!\d)(?:\+?1[\s.\-]?)?\(?8(?:00|33|44|55|66|77|88)\)?[\s.\-]?\d{3}[\s.\-]?\d{4}(?!\d)")
_NEW = re.compile(r"\b(?:new|ordered|order(?:ed)? placed)\b", re.IGNORECASE)
_RESPORG = re.compile(r"\bresp\s*-?\s*org\b", re.IGNORECASE)
# What Customers.Notes say about recording: from the word to the end of that sentence or line, or to the next
# E911 entry (whose "Main" number is an emergency callback number, not one to record).
_RECORDING = re.compile(r"record[^\n]*?(?=\bE-?911\b|\n|\.\s|\.$|$)", re.IGNORECASE)


def emails(text: str) -> list[str]:
    return EMAIL.findall(text or "")


def e164(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return "+" + digits if len(digits) == 11 else "+1" + digits


def phones(text: str) -> list[str]:
    """Every NANP number in ``text``, as +1NXXNXXXXXX, in order, once each."""
    return list(dict.fromkeys(e164(m.group(0)) for m in PHONE.finditer(text or "")))


def record_numbers(line_notes: str, customer_notes: str = "") -> list[str]:
    """Numbers a Smart Record line records: any number in its own Notes; from Customers.Notes only numbers said
    after the word "record" (that cell's other numbers are mostly E911 main numbers)."""
    own = phones(line_notes)
    if own:
        return own
    said = [m.group(0) for m in _RECORDING.finditer(customer_notes or "")]
    return list(dict.fromkeys(n for text in said for n in phones(text)))


@dataclass(frozen=True)
class TollFreeNote:
    action: str  # New | Port | RespOrg Change (the Toll Free sheet's actions)
    number: str  # +18005550199, "" for a new number


def toll_free_request(notes: str) -> TollFreeNote | None:
    """The request a Toll Free Service line's Notes make, or None when they say neither a number nor 'new'."""
    text = notes or ""
    m = TOLL_FREE.search(text)
    if m:
        return TollFreeNote("RespOrg Change" if _RESPORG.search(text) else "Port", e164(m.group(0)))
    if _NEW.search(text):
        return TollFreeNote("New", "")
    return None
