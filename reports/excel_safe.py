"""The one door every string passes through on its way into a report cell (DESIGN §8).

Two kinds of text reach our workbooks:

* user-supplied text (account names, notes, anything a partner typed, anything read back from a
  system that a partner could have typed): ``guard`` prefixes an apostrophe when it starts with one of
  OWASP's formula triggers (``= + - @``, tab, CR, LF), and also when it already starts with an
  apostrophe. The ingest drops exactly one leading apostrophe (DESIGN §3), so a guarded value read back
  and re-uploaded is the text the partner typed, character for character;
* values we generate (``+1...`` phone numbers, ZIPs, DIDs, ids): written as text cells with Excel's
  quote-prefix style, so Excel neither turns ``+15125550100`` into a number nor evaluates anything when
  someone edits the cell.

Either way the cell is forced to an explicit string cell: openpyxl would otherwise store any string
starting with ``=`` as a formula and ``#N/A`` as an error value.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell

from data.sheets import PASSWORD_MASK

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_ROWS = 1_048_576  # Excel's rows per sheet
MAX_CELL_CHARS = 32_767
MASK = PASSWORD_MASK  # read back from a re-upload, validation answers PASSWORD_MASKED

# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped, there is no way to store them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A generated number-like value may legitimately start with + or - (phones, negative amounts).
_NUMBERISH = re.compile(r"[+-]?\d[\d\s().-]*")


def is_blank(value: object) -> bool:
    """None, NaN, NaT, pd.NA and empty strings are all an empty cell."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, float):
        return math.isnan(value)
    try:  # pd.NA / pd.NaT without importing pandas here
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def clean(text: str) -> str:
    """Drop characters a worksheet cannot hold and cut to Excel's cell limit."""
    return _ILLEGAL.sub("", text)[:MAX_CELL_CHARS]


def guard(value: object) -> str | None:
    """THE guard for user-supplied text: inert in Excel, unchanged after the ingest's apostrophe rule.

    >>> guard('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> guard("Acme Corp")
    'Acme Corp'
    """
    if is_blank(value):
        return None
    text = clean(value if isinstance(value, str) else str(value))
    if text.startswith((*TRIGGERS, "'")):
        text = "'" + text
    return text[:MAX_CELL_CHARS]


def unguard(text: str | None) -> str | None:
    """The ingest's rule (DESIGN §3): one leading apostrophe is Excel's text marker and is dropped."""
    if text is not None and text.startswith("'"):
        return text[1:]
    return text


def reguard(value: object) -> str | None:
    """Guard text read from a partner's cell: what the ingest saw there (one apostrophe dropped) is what
    the ingest will see in our copy. Never stacks apostrophes on an already guarded value."""
    if isinstance(value, str):
        return guard(unguard(value))
    return guard(value)


def mask_password(value: object) -> str | None:
    """A fixed mask (length not revealed); blank stays blank so REQUIRED_MISSING still shows."""
    return None if is_blank(value) else MASK


def set_text(cell: Cell, text: str | None, *, quote_prefix: bool = False) -> Cell:
    """Put already-safe text in a cell as an explicit string cell (never a formula or error value)."""
    if text is None:
        cell.value = None
    else:  # set directly: the value setter would infer a formula ("=...") or an error ("#N/A")
        cell._value = text  # type: ignore[attr-defined]
        cell.data_type = "s"
    if quote_prefix:
        cell.quotePrefix = True
    return cell


def user_text(cell: Cell, value: object) -> Cell:
    """User-supplied text into ``cell``, through the guard."""
    return set_text(cell, guard(value))


def message_text(cell: Cell, value: object) -> Cell:
    """A finding's message (our words around user values): formula triggers guarded, but a leading
    apostrophe is not doubled, since no ingest reads the message back and ''X' would only confuse."""
    if is_blank(value):
        return set_text(cell, None)
    text = clean(value if isinstance(value, str) else str(value))
    return set_text(cell, text if text.startswith("'") else guard(text))


def generated_text(cell: Cell, value: object) -> Cell:
    """A value we generate (phone, ZIP, DID, id) as a quote-prefixed text cell.

    Anything that is not number-like still goes through the guard: an id column can carry a value that
    started life as partner input (Partner ID).
    """
    if is_blank(value):
        return set_text(cell, None, quote_prefix=True)
    text = clean(value if isinstance(value, str) else str(value))
    return set_text(cell, text if _NUMBERISH.fullmatch(text) else guard(text), quote_prefix=True)


def user_cell(ws: Any, value: object) -> Cell:
    """A write-only cell holding guarded user text."""
    return user_text(WriteOnlyCell(ws), value)


def text_cell(ws: Any, value: object) -> Cell:
    """A write-only cell holding a generated value as quote-prefixed text."""
    return generated_text(WriteOnlyCell(ws), value)
