"""Upload sniffing: the bytes decide, never the name; every refusal is one sentence."""

from __future__ import annotations

import io
import zipfile

import pytest

from onboard.portal.security import SignInLimiter
from onboard.portal.uploads import Limits, UploadRejected, sniff

LIMITS = Limits(max_upload_bytes=1 << 20, max_unzipped_bytes=4 << 20)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_workbook_is_a_zip_with_a_workbook_part_whatever_its_name() -> None:
    assert sniff(_zip({"xl/workbook.xml": b"<workbook/>"}), "order.csv", LIMITS) == "xlsx"
    assert sniff(b"Account Name,Email\nA,a@b.example\n", "order.xlsx", LIMITS) == "csv"


@pytest.mark.parametrize(("data", "name", "says"), [
    (b"", "o.xlsx", "empty"),
    (_zip({"word/document.xml": b"<doc/>"}), "o.xlsx", "not an Excel workbook"),
    (b"PK\x03\x04garbage", "o.xlsx", "damaged zip"),
    (b"%PDF-1.7 ...", "order.xlsx", "PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "order.xls", "legacy Excel"),
    (b"Name\n\xff\xfe\xfa not utf-8 \xff\n", "o.csv", "UTF-8"),
    (b"a,b\n\0\0\0", "o.csv", "neither"),
    (b"x" * ((1 << 20) + 1), "o.csv", "larger than 1 MB"),
])
def test_refusals_are_one_clear_sentence(data: bytes, name: str, says: str) -> None:
    with pytest.raises(UploadRejected) as err:
        sniff(data, name, LIMITS)
    message = str(err.value)
    assert says in message and "\n" not in message and "Traceback" not in message


def test_a_zip_bomb_is_refused_by_its_declared_size() -> None:
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * (5 << 20)})
    assert len(bomb) < LIMITS.max_upload_bytes
    with pytest.raises(UploadRejected, match="unpacks to 5 MB"):
        sniff(bomb, "o.xlsx", LIMITS)


def test_sign_in_limiter_counts_failures_per_address_in_a_sliding_window() -> None:
    limiter = SignInLimiter(limit=6, window=0.5)
    for _ in range(6):
        assert not limiter.blocked("10.0.0.1")
        limiter.failed("10.0.0.1")
    assert limiter.blocked("10.0.0.1")
    assert not limiter.blocked("10.0.0.2")  # another address is not affected
    import time

    time.sleep(0.6)
    assert not limiter.blocked("10.0.0.1")  # the window slides
