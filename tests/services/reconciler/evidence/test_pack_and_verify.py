"""An evidence pack made on the command line holds the facts of a dispute and proves itself offline.

Specification (issue 7): for a payment, an invoice or a contract, one ZIP with the bank line as the
bank reported it, the statement's hash, the payment order, every allocation decision with who, when
and why, every notification with its receipts, and the journal events with their hash-chain links;
``sverka evidence verify FILE.zip`` checks it with no database and says what it proves, and names
the file or event when something was altered.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from services.reconciler.evidence.verify import DOES_NOT_PROVE, recompute_hash, verify_pack
from shared import journal
from shared.db import session_scope
from shared.models import JournalEvent
from tests.cli import sverka
from tests.services.reconciler.evidence.conftest import MANUAL_REASON, REVERSAL_REASON, World
from tests.services.reconciler.evidence.packs import journal_lines, members, pdf_text, read_json, rewritten, save


def pack_on_cli(world: World, tmp_path: Path, *subject: str, name: str = "pack.zip") -> bytes:
    target = tmp_path / name
    run = sverka("evidence", "pack", *subject, "-o", str(target), database_url=world.database_url)
    assert run.code == 0, run.stderr
    assert run.json()["file"] == str(target)
    return target.read_bytes()


def test_an_invoice_pack_holds_the_bank_lines_decisions_notifications_and_journal(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--invoice", str(world.invoice_78))
    files = members(data)
    assert {"manifest.json", "summary.pdf", "subject.json", "allocations.json", "notifications.json"} <= set(files)
    assert {"bank/lines.json", "bank/statements.json", "journal.jsonl"} <= set(files)
    assert any(name.startswith("payment-orders/") and name.endswith(".pdf") for name in files)

    manifest = read_json(data, "manifest.json")
    assert manifest["format"] == "sverka-evidence-pack" and manifest["format_version"] == 1
    assert manifest["subject"] == {"type": "invoice", "id": world.invoice_78, "label": "invoice INV-78"}
    assert manifest["generator"]["requested_by"] == "cli"
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed == {n: hashlib.sha256(b).hexdigest() for n, b in files.items() if n != "manifest.json"}

    [line] = read_json(data, "bank/lines.json")  # the one payment that ever touched INV-78
    assert line["bank_ref"] == "12" and line["amount"] == {"amount": "2000.00", "minor": 200000, "currency": "RUB"}
    assert "НазначениеПлатежа=Оплата по счету INV-78" in line["raw_record"]
    assert line["raw_record_sha256"] == hashlib.sha256(line["raw_record"].encode()).hexdigest()
    assert files[line["payment_order"]["file"]][:5] == b"%PDF-"

    [statement] = read_json(data, "bank/statements.json")
    assert statement["file_sha256"] == world.statement_sha256  # the bytes we imported, as the bank sent them
    assert statement["original_file_stored"] is False and statement["format"] == "1c"
    assert "does not keep statement files' bytes" in manifest["statement_files"]

    allocations = {a["id"]: a for a in read_json(data, "allocations.json")}
    reversed_, manual = allocations[world.reversed_allocation], allocations[world.manual_allocation]
    assert (reversed_["kind"], reversed_["created_by"], reversed_["active"]) == ("auto", "system:matcher", False)
    assert reversed_["why"]["reasons"], "the matcher's reasons travel with its decision"
    assert (reversed_["reversed_by"], reversed_["reversal_reason"]) == ("ui:anna", REVERSAL_REASON)
    assert (manual["kind"], manual["created_by"], manual["active"]) == ("manual", "ui:anna", True)
    assert manual["why"]["person_said"] == MANUAL_REASON
    assert [j["action"] for j in manual["journal"]] == ["allocation.manual"]

    notifications = read_json(data, "notifications.json")
    assert [e["event_type"] for e in notifications["events"]] == [
        "payment.allocated",  # the matcher booked the payment on INV-78
        "invoice.paid",
        "payment.allocation_reversed",  # Anna undid it
        "invoice.reopened",
        "payment.allocated",  # and allocated it by hand
        "invoice.paid",
    ]
    # Every event reaches both endpoints (the partner's and the internal one), and the pack shows
    # exactly what was sent to each.
    assert len(notifications["webhooks"]) == 2 * len(notifications["events"])
    for delivery in notifications["webhooks"]:
        assert delivery["status"] == "delivered"
        assert [(a["status_code"], a["outcome"]) for a in delivery["attempts"]] == [(200, "delivered")]
        assert "token" not in delivery["endpoint"]["url"]  # query strings may carry receivers' secrets
        assert delivery["body_sha256"] == hashlib.sha256(delivery["body"].encode()).hexdigest()

    events = journal_lines(data)
    actions = [e["action"] for e in events]
    for expected in ("invoice.created", "statement.imported", "allocation.created", "allocation.reversed"):
        assert expected in actions
    assert "allocation.manual" in actions and "webhook.delivered" in actions
    assert "invoice.created" in actions and all(e["action"] != "evidence.packed" for e in events)
    assert manifest["journal"]["included_seqs"] == [e["seq"] for e in events]
    assert manifest["journal"]["head"]["seq"] >= events[-1]["seq"]


def test_the_offline_check_recomputes_every_event_exactly_as_the_journal_does(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--contract", str(world.contract_d1))
    with session_scope() as session:
        stored = {e.seq: e for e in session.scalars(select(JournalEvent).order_by(col(JournalEvent.seq)))}
        for event in journal_lines(data):
            assert recompute_hash(event) == journal.event_hash(stored[event["seq"]]) == event["hash"]


def test_verify_says_what_an_intact_pack_proves_and_what_it_does_not(world: World, tmp_path: Path):
    path = tmp_path / "pack.zip"
    path.write_bytes(pack_on_cli(world, tmp_path, "--payment", str(world.payment_12)))
    manifest = read_json(path.read_bytes(), "manifest.json")

    run = sverka("evidence", "verify", str(path), database_url="sqlite:////nonexistent/no-database-needed.db")
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.startswith("INTACT. This pack proves:")
    assert "unaltered: each one's hash recomputes from its fields" in run.stdout
    assert f"the journal's head was event {manifest['journal']['head']['seq']}" in run.stdout
    assert manifest["journal"]["head"]["hash"] in run.stdout
    assert "is the one journaled when it was imported" in run.stdout
    assert "It does not prove:" in run.stdout and "subset of the chain" in run.stdout

    as_json = sverka("evidence", "verify", "--json", str(path), database_url=world.database_url).json()
    assert as_json["ok"] is True and as_json["problems"] == []
    assert as_json["subject"] == {"type": "payment", "id": world.payment_12, "label": "payment 12"}
    assert as_json["does_not_prove"] == list(DOES_NOT_PROVE)
    assert as_json["manifest_sha256"] == hashlib.sha256(members(path.read_bytes())["manifest.json"]).hexdigest()
    proven = {seq for first, last in as_json["linked_runs"] for seq in range(first, last + 1)}
    assert proven == set(manifest["journal"]["included_seqs"])


def test_making_a_pack_is_journaled_with_its_manifest_hash_and_the_chain_still_holds(world: World, tmp_path: Path):
    run = sverka(
        "evidence",
        "pack",
        "--invoice",
        str(world.invoice_77),
        "-o",
        str(tmp_path / "p.zip"),
        database_url=world.database_url,
    )
    assert run.code == 0, run.stderr
    out = run.json()
    with session_scope() as session:
        history = journal.entity_history(session, "invoice", world.invoice_77)
        [event] = [e for e in history if e.action == "evidence.packed"]
        assert event.seq == out["journaled_as"] and event.actor == "cli"
        assert event.after is not None
        assert event.after["manifest_sha256"] == out["manifest_sha256"]
        assert event.after["pack_sha256"] == hashlib.sha256((tmp_path / "p.zip").read_bytes()).hexdigest()
        assert event.after["journal_head_seq"] == out["journal_head"]["seq"] == event.seq - 1
        assert journal.verify(session).ok


def test_two_packs_of_the_same_state_differ_only_in_when_for_whom_and_the_journal_head(world: World, tmp_path: Path):
    first = members(pack_on_cli(world, tmp_path, "--contract", str(world.contract_d1), name="a.zip"))
    second = members(pack_on_cli(world, tmp_path, "--contract", str(world.contract_d1), name="b.zip"))
    assert first.keys() == second.keys()
    differing = {name for name in first if first[name] != second[name]}
    assert differing <= {"manifest.json", "summary.pdf"}
    one, two = json.loads(first["manifest.json"]), json.loads(second["manifest.json"])
    for manifest in (one, two):
        manifest.pop("generated_at")
        manifest["journal"].pop("head")  # moved by the first pack's own evidence.packed event
        manifest["files"] = [f for f in manifest["files"] if f["path"] != "summary.pdf"]
    assert one == two


def test_the_summary_pdf_states_the_facts_in_words_with_cyrillic_intact(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--invoice", str(world.invoice_78))
    text = pdf_text(members(data)["summary.pdf"])
    assert "Пакет доказательств" in text and "invoice INV-78" in text
    for fact in ("INV-78", "2000.00", "RUB", "Ромашка", "ui:anna", "system:matcher", "webhook", "HTTP 200"):
        assert fact in text, fact
    assert "зачесть позже" in text  # the reversal reason, in the accountant's words
    assert "сверено с бухгалтером" in text  # the manual decision's reason
    assert "What this pack proves" in text and "What it does not prove" in text
    assert read_json(data, "manifest.json")["journal"]["head"]["hash"] in text.replace(" ", "")


def test_an_edited_file_fails_verification_naming_the_file(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--invoice", str(world.invoice_78))
    forged = rewritten(
        data, {"allocations.json": lambda b: b.replace(REVERSAL_REASON.encode(), "ошибка банка".encode())}
    )
    run = sverka("evidence", "verify", str(save(forged, tmp_path / "forged.zip")), database_url=world.database_url)
    assert run.code == 1
    assert "NOT INTACT" in run.stdout
    assert "allocations.json: SHA-256 mismatch" in run.stderr


def test_an_edited_journal_event_no_longer_recomputes_even_with_the_manifest_fixed_up(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--invoice", str(world.invoice_78))
    target = next(e for e in journal_lines(data) if e["action"] == "allocation.reversed")

    def soften_reason(body: bytes) -> bytes:
        lines = [json.loads(line) for line in body.splitlines()]
        for event in lines:
            if event["seq"] == target["seq"]:
                event["after"]["reason"] = "ошибка банка"
        return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in lines)

    forged = rewritten(data, {"journal.jsonl": soften_reason}, fix_manifest=True)
    report = verify_pack(save(forged, tmp_path / "forged.zip"))
    assert not report.ok
    assert [p.as_dict() for p in report.problems] == [
        {
            "where": f"journal event {target['seq']}",
            "what": "its hash no longer recomputes from its fields: the event was altered",
        }
    ]
    run = sverka("evidence", "verify", "--json", str(tmp_path / "forged.zip"), database_url=world.database_url)
    assert run.code == 1 and run.json()["ok"] is False
    assert f"journal event {target['seq']}: its hash no longer recomputes" in run.stderr


def test_an_event_removed_between_two_included_ones_breaks_the_link(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--contract", str(world.contract_d1))
    events = journal_lines(data)
    seqs = [e["seq"] for e in events]
    middle = next(s for s in seqs if s - 1 in seqs and s + 1 in seqs)  # inside a run of consecutive events

    def drop(body: bytes) -> bytes:
        return b"".join(line + b"\n" for line in body.splitlines() if json.loads(line)["seq"] != middle)

    forged = rewritten(data, {"journal.jsonl": drop}, fix_manifest=True)
    run = sverka("evidence", "verify", str(save(forged, tmp_path / "forged.zip")), database_url=world.database_url)
    assert run.code == 1
    assert f"journal event {middle}: listed in the manifest but missing from journal.jsonl: removed" in run.stderr
    assert f"journal events {middle - 1} and {middle + 1}: link broken" in run.stderr


def test_a_file_slipped_into_the_pack_or_taken_out_is_named(world: World, tmp_path: Path):
    data = pack_on_cli(world, tmp_path, "--payment", str(world.payment_11))
    files = members(data)
    added = rewritten(data, {"notifications.json": lambda b: b})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            if name != "notifications.json":
                archive.writestr(name, body)
        archive.writestr("bank/extra-receipt.pdf", b"%PDF-1.4 forged")
    report = verify_pack(save(buffer.getvalue(), tmp_path / "changed.zip"))
    assert {p.where: p.what for p in report.problems} == {
        "notifications.json": "listed in the manifest but missing from the pack: removed",
        "bank/extra-receipt.pdf": "not listed in the manifest: added after packing",
    }
    assert verify_pack(save(added, tmp_path / "same.zip")).ok


def test_an_unknown_subject_is_refused_and_nothing_is_journaled(world: World, tmp_path: Path):
    with session_scope() as session:
        before = journal.verify(session).events
    run = sverka(
        "evidence", "pack", "--invoice", "999999", "-o", str(tmp_path / "x.zip"), database_url=world.database_url
    )
    assert run.code == 1 and "invoice 999999 not found" in run.stderr
    assert not (tmp_path / "x.zip").exists()
    with session_scope() as session:
        assert journal.verify(session).events == before
    garbage = save(b"not a zip", tmp_path / "garbage.zip")
    bad = sverka("evidence", "verify", str(garbage), database_url=world.database_url)
    assert bad.code == 1 and "not a readable ZIP file" in bad.stderr
