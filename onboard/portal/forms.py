"""Reading an upload from a multipart request without trusting its size or its name."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from onboard.portal.uploads import Limits, UploadRejected, too_large_message

FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the small fields around the file


async def read_upload(request: Request, limits: Limits) -> tuple[bytes, str, dict[str, str]]:
    """(file bytes, the name the browser sent, the other text fields); UploadRejected when unusable.

    The declared length is checked before anything is parsed, and the file is read to at most one byte
    past the limit, so an oversized upload costs us no more than the limit.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_upload_bytes + FORM_OVERHEAD:
        raise UploadRejected(too_large_message(limits))
    form = await request.form(max_files=1, max_fields=10)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    item = form.get("file")
    if not isinstance(item, UploadFile):
        raise UploadRejected("Choose your order workbook (.xlsx) or CSV file, then press Upload.")
    data = await item.read(limits.max_upload_bytes + 1)
    await form.close()
    if len(data) > limits.max_upload_bytes:
        raise UploadRejected(too_large_message(limits))
    return data, item.filename or "upload", fields
