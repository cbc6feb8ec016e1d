"""E911 written the portal's way, inside Customers.Notes:
``E911: 100 Main St, Suite 2, Austin, TX 78701; Main 512-555-0100`` (several may follow each other)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile(r"\bE-?911\b(?:\s*(?:address|location|addr))?\s*[:\-=]\s*", re.IGNORECASE)
_MAIN = re.compile(
    r"[;,\n]?\s*\b(?:main|callback|call back|tn|phone)\b(?:\s*(?:number|no\.?|#|phone|line|tn))?\s*[:#=\-]?\s*"
    r"(?P<phone>\+?[\d(][\d\s().\-]{8,}\d)",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"^(?P<street>.+),\s*(?P<city>[^,]+?),\s*(?P<state>[A-Za-z][A-Za-z .]*?)\.?,?\s+"
    r"(?P<zip>\d{5}(?:-?\d{4})?|\d{4}|[A-Za-z]\d[A-Za-z][\s\-]?\d[A-Za-z]\d)$"
)


@dataclass(frozen=True)
class NotesE911:
    address_1: str
    address_2: str
    city: str
    state: str
    zip: str
    main_number: str


def parse_notes_e911(notes: str) -> list[NotesE911]:
    """Every E911 entry in the notes; an entry whose address cannot be read keeps the text in address_1
    and leaves city/state/zip blank, so the Locations rules report it (at Customers.Notes)."""
    marks = list(_MARK.finditer(notes))
    out: list[NotesE911] = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(notes)
        seg = notes[m.end():end]
        phone = ""
        pm = _MAIN.search(seg)
        if pm:
            phone = pm.group("phone").strip()
            seg = seg[: pm.start()]
        # The address ends at the first line break or ';' (what follows is other notes).
        addr = re.split(r"[;\n]", seg, maxsplit=1)[0].strip(" ,.\t")
        a = _ADDRESS.match(addr)
        if a:
            street = [p.strip() for p in a.group("street").split(",", 1)]
            out.append(NotesE911(street[0], street[1] if len(street) > 1 else "", a.group("city").strip(),
                                 a.group("state").strip(), a.group("zip").strip(), phone))
        else:
            out.append(NotesE911(addr, "", "", "", "", phone))
    return out
