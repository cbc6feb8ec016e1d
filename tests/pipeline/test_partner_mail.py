"""Partners hear back: one batch summary mail per run with something new, the error files beside the report."""

from __future__ import annotations

import email
import io
import zipfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

from openpyxl import load_workbook

from data.samples.generate import sample_rows, write_xlsx
from pipeline.batch import retry_batch, run_file
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for
from tests.pipeline.mailbox import all_logins


def summaries(home: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted((home / "mail").glob("summary.*.eml"))]


def _text_of(msg: EmailMessage) -> str:
    """Everything the mail carries, attachments unzipped, as text."""
    parts = [msg.get_body(("plain",)).get_content()]  # type: ignore[union-attr]
    for att in msg.iter_attachments():
        data = att.get_content()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    return "\n".join(parts)


def test_one_summary_per_run_with_held_customers_files_and_no_password(sims: Sims, sample_book: Path,
                                                                       isolated_home: Path) -> None:
    settings = settings_for(isolated_home, sims)
    res = run_file(settings, sample_book, RunOptions())
    report, errors, held_back = Path(res["report"]), Path(res["errors"]), Path(res["held_back"])
    assert errors.is_file() and held_back.is_file() and errors.parent == held_back.parent == report.parent
    assert oct(held_back.stat().st_mode & 0o777) == "0o600"
    held_rows = list(load_workbook(held_back, read_only=True)["Customers"].iter_rows(min_row=2, values_only=True))
    held = {str(r[1]) for r in held_rows if r and r[1]}
    assert len(held) == res["customers"]["held"] == 6

    [msg] = summaries(isolated_home)
    assert msg["To"] == "provisioning@partner.example.com"
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Customers in the file:   24" in body and "Held back:               6" in body
    assert "Provisioned:             18" in body and "Billed:                  18" in body
    for account in held:  # each held customer with its first finding (a code, where, what)
        [line] = [ln for ln in body.splitlines() if ln.startswith(f"  - {account}: ")]
        assert line.split(": ", 1)[1].split(" ")[0].isupper(), line
    assert "TIMEZONE_UNKNOWN (Customers row" in body and "DOMAIN_HAS_SCHEME" in body
    names = sorted(a.get_filename() or "" for a in msg.iter_attachments())
    assert names == sorted([errors.name, report.name])  # never the held-back file: it keeps passwords as typed

    # no password in it: neither a portal password the partner typed nor a generated admin password
    book = load_workbook(sample_book, read_only=True)
    portal = {str(r[5]) for r in book["Customers"].iter_rows(min_row=2, values_only=True) if r[5]}
    admin = {x.password for x in all_logins(isolated_home)}
    assert len(portal) == 24 and len(admin) == 18
    everything = _text_of(msg)
    assert not [pw for pw in portal | admin if pw in everything]

    # the same file again changes nothing: no second summary
    again = run_file(settings, sample_book, RunOptions())
    assert again["customers"] == res["customers"] and again["errors"] == res["errors"]
    assert len(summaries(isolated_home)) == 1
    # a retry with nothing new to say does not mail either
    retry_batch(settings, res["batch"])
    assert len(summaries(isolated_home)) == 1


def test_a_run_that_changes_the_outcome_sends_a_new_summary(sims: Sims, isolated_home: Path, tmp_path: Path) -> None:
    from tests.pipeline.test_identity import _foreign_admin
    from transforms.normalize import _key_of
    from transforms.plan import customer_ids

    book = sample_rows(2, invalid=False)
    victim = str(book.rows["Customers"][0][1])
    settings = settings_for(isolated_home, sims)
    admin = customer_ids("default", victim, _key_of(victim))["admin_user_id"]
    _foreign_admin(sims, admin)
    res = run_file(settings, write_xlsx(book, tmp_path / "o.xlsx"), RunOptions())
    assert res["errors"] is None and res["held_back"] is None  # nobody held: no error files
    [first] = summaries(isolated_home)
    body = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Failed (we are on it):   1" in body and f"  - {victim}: " in body
    assert [a.get_filename() for a in first.iter_attachments()] == [Path(res["report"]).name]

    with sims.bw.store.tx() as db:
        db.execute("DELETE FROM admin WHERE user_id = ?", (admin,))
    retry_batch(settings, res["batch"])
    mails = summaries(isolated_home)
    assert len(mails) == 2
    newest = next(m for m in mails if m["Message-ID"] != first["Message-ID"])
    text = newest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Provisioned:             2" in text and "Billed:                  2" in text and "Failed" not in text
