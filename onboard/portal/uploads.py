"""Uploaded order files: size limit, content sniffing, storage by content hash, validation.

An upload is kept under ``<home>/uploads/<partner>/`` named by the SHA-256 of its bytes, never by the
name the browser sent (that name is only shown back, escaped). A workbook is ``<hash>.xlsx``; a CSV is
``<hash>/<sheet>.csv`` (a single CSV is one sheet, and the ingest names a CSV's sheet after its file, so
the sheet is taken from the uploaded name when it names one, else Customers). Beside it:
``<hash>.json`` (the validation result), ``<hash>.errors.xlsx`` and ``<hash>.errors.held-back.xlsx``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from data.sheets import CUSTOMERS, find_sheet
from transforms import guard

UPLOADS = "uploads"
UPLOAD_ID_LEN = 16  # hex digits of the content hash shown in URLs


class UploadRejected(ValueError):
    """An upload we refuse, with one sentence the partner can act on."""


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    max_unzipped_bytes: int


def limits_from_env() -> Limits:
    # ONBOARD_MAX_UPLOAD_MB (DESIGN §7, default 20) and the pre-parse limit on decompressed size.
    mb = float(os.environ.get("ONBOARD_MAX_UPLOAD_MB") or 20)
    unzipped = float(os.environ.get("ONBOARD_MAX_UNZIPPED_MB") or 2048)
    return Limits(int(mb * 1024 * 1024), int(unzipped * 1024 * 1024))


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def sniff(data: bytes, filename: str, limits: Limits) -> str:
    """``xlsx`` or ``csv`` from the bytes themselves (the extension is not trusted); else UploadRejected."""
    if not data:
        raise UploadRejected("The file is empty: choose your order workbook (.xlsx) and upload it again.")
    if len(data) > limits.max_upload_bytes:
        raise UploadRejected(too_large_message(limits))
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                unzipped = sum(i.file_size for i in z.infolist())
        except zipfile.BadZipFile:
            raise UploadRejected("The file is a damaged zip archive, not a readable Excel workbook.") from None
        if "xl/workbook.xml" not in names:
            raise UploadRejected("The file is a zip archive but not an Excel workbook: save your order as .xlsx and upload it.")
        if unzipped > limits.max_unzipped_bytes:
            cap = limits.max_unzipped_bytes // (1024 * 1024)
            raise UploadRejected(f"The workbook unpacks to {unzipped // (1024 * 1024)} MB, more than the {cap} MB "
                                 "we accept: split the order into smaller files.")
        return "xlsx"
    kind = _known_binary(data)
    if kind:
        raise UploadRejected(f"The file '{PurePath(filename).name}' is a {kind}, not an order: upload the order "
                             "workbook (.xlsx) or a CSV file.")
    head = data[:65536]
    if b"\0" in head:
        raise UploadRejected("The file is neither an Excel workbook (.xlsx) nor a CSV text file.")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the end of the sample is fine
            raise UploadRejected("The CSV file is not UTF-8 text: save it as 'CSV UTF-8' and upload it again.") from None
    return "csv"


def _known_binary(data: bytes) -> str | None:
    signatures = {b"%PDF": "PDF document", b"\xd0\xcf\x11\xe0": "legacy Excel (.xls) or Word file (save it as .xlsx)",
                  b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image"}
    for magic, kind in signatures.items():
        if data.startswith(magic):
            return kind
    return None


def too_large_message(limits: Limits) -> str:
    return (f"The file is larger than {limits.max_upload_bytes // (1024 * 1024)} MB, the most the portal accepts: "
            "split the order into smaller workbooks.")


def pre_parse_guard(path: Path) -> None:
    """The CLI's pre-parse guard (decompressed size, ratio, cells, shared strings), before any reader sees the
    upload: the same limits as ``onboard validate`` (``ONBOARD_MAX_UNZIPPED_MB``, ``ONBOARD_MAX_CELLS``)."""
    guard.inspect_input(path)


def scrub(message: str, stored: Path, shown_name: str) -> str:
    """A message about the stored file, told with the name the partner knows (never our paths)."""
    for text in (str(stored.resolve()), str(stored), stored.name):
        message = message.replace(text, shown_name)
    return message


@dataclass(frozen=True)
class Upload:
    upload_id: str
    partner_id: str
    path: Path  # what the ingest reads: the workbook, or the folder holding the CSV
    meta: dict[str, Any]

    @property
    def folder(self) -> Path:
        return self.path.parent  # the partner's folder, for a workbook and a CSV folder alike

    def sibling(self, suffix: str) -> Path:
        return self.folder / f"{self.upload_id}{suffix}"


def partner_dir(home: Path, partner_id: str) -> Path:
    return home / UPLOADS / partner_id


def store(home: Path, partner_id: str, data: bytes, filename: str, kind: str) -> Upload:
    digest = hashlib.sha256(data).hexdigest()
    uid = digest[:UPLOAD_ID_LEN]
    folder = _private_dir(partner_dir(home, partner_id))
    _private_dir(home / UPLOADS)
    if kind == "xlsx":
        path = folder / f"{uid}.xlsx"
    else:
        sheet = find_sheet(PurePath(filename).stem) or CUSTOMERS
        sub = folder / uid
        if sub.exists() and [p.name for p in sub.iterdir()] != [sheet.csv_name]:
            shutil.rmtree(sub)  # the same bytes sent before as another sheet: the folder must hold this one only
        path = _private_dir(sub) / sheet.csv_name
    if not path.exists():
        _write_private(path, data)
    meta = {"upload": uid, "sha256": digest, "partner": partner_id, "kind": kind,
            "filename": PurePath(filename).name[:200], "received_at": datetime.now(UTC).isoformat(timespec="seconds")}
    ingest_path = path if kind == "xlsx" else path.parent
    return Upload(uid, partner_id, ingest_path, meta)


def save_result(upload: Upload, result: dict[str, Any]) -> None:
    _write_private(upload.sibling(".json"), json.dumps({**upload.meta, "result": result}, ensure_ascii=False).encode())


def find(home: Path, upload_id: str, partner_ids: list[str] | None) -> Upload | None:
    """The upload ``upload_id`` of one of ``partner_ids`` (None: any partner, for an operator)."""
    if len(upload_id) != UPLOAD_ID_LEN or any(c not in "0123456789abcdef" for c in upload_id):
        return None
    root = home / UPLOADS
    folders = [root / p for p in partner_ids] if partner_ids is not None else sorted(
        p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        meta_path = folder / f"{upload_id}.json"
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            path = folder / f"{upload_id}.xlsx" if meta["kind"] == "xlsx" else folder / upload_id
            return Upload(upload_id, str(meta["partner"]), path, meta)
    return None


def list_uploads(home: Path, partner_ids: list[str] | None) -> list[dict[str, Any]]:
    root = home / UPLOADS
    if not root.is_dir():
        return []
    folders = [root / p for p in partner_ids] if partner_ids is not None else [p for p in root.iterdir() if p.is_dir()]
    metas = []
    for folder in folders:
        for meta_path in folder.glob("*.json") if folder.is_dir() else []:
            metas.append(json.loads(meta_path.read_text(encoding="utf-8")))
    return sorted(metas, key=lambda m: m["received_at"], reverse=True)
