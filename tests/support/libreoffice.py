"""LibreOffice for tests: does a workbook open without repair? Convert it to PDF headless and count pages.

Each conversion uses its own throw-away profile (``-env:UserInstallation``) so parallel runs and a
user's running LibreOffice never share a lock.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def soffice_path() -> str | None:
    """The soffice binary, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(xlsx: Path, outdir: Path, *, timeout: float = 180.0) -> Path:
    """Convert ``xlsx`` to ``outdir/<stem>.pdf`` with headless LibreOffice; raise if no PDF comes out."""
    binary = soffice_path()
    if binary is None:
        raise FileNotFoundError("soffice not found")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        proc = subprocess.run(
            [
                binary,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--nologo",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                str(xlsx),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    pdf = outdir / f"{xlsx.stem}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    return pdf


def pdf_pages(pdf: Path) -> int:
    """Page objects in a PDF (LibreOffice writes them uncompressed)."""
    return len(_PAGE.findall(pdf.read_bytes()))
