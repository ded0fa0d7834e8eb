"""The pack's ``summary.pdf``: the facts for a person, in one document they can print and sign under.

Pure: it renders the plain values it is given (no database). The machine-checkable material is
the JSON and the journal beside it; this page says what they hold and what the pack proves, in
words. Cyrillic renders because it embeds the same TrueType font as every Sverka PDF
(``services.notifier.documents.fonts``); ``invariant`` mode keeps the bytes equal for equal facts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.notifier.documents.fonts import register_fonts


@dataclass(frozen=True, slots=True)
class InvoiceFact:
    number: str
    amount: str
    paid: str
    currency: str
    status: str
    due_date: str | None


@dataclass(frozen=True, slots=True)
class LineFact:
    bank_ref: str
    booking_date: str | None
    amount: str
    currency: str
    counterparty: str
    purpose: str
    match_status: str
    statement_sha256: str


@dataclass(frozen=True, slots=True)
class AllocationFact:
    id: int
    bank_ref: str
    invoice_no: str
    amount: str
    currency: str
    kind: str
    created_by: str
    created_at: str
    why: str
    reversed_by: str | None
    reversed_at: str | None
    reversal_reason: str | None


@dataclass(frozen=True, slots=True)
class NotificationFact:
    channel: str
    what: str
    status: str
    attempts: str


@dataclass(frozen=True, slots=True)
class Facts:
    title: str
    generated_at: str
    requested_by: str
    partner_scope: str | None
    invoices: list[InvoiceFact] = field(default_factory=list)
    lines: list[LineFact] = field(default_factory=list)
    allocations: list[AllocationFact] = field(default_factory=list)
    notifications: list[NotificationFact] = field(default_factory=list)
    events: int = 0
    runs: list[tuple[int, int]] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = ""


def _escape(text: str) -> str:
    """Paragraph takes mini-HTML: names like ООО "А&Б" must not be read as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(facts: Facts) -> bytes:
    """An A4 summary: subject, invoices, bank lines, allocations, notifications, and what the pack proves."""
    regular, bold = register_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9)
    heading = ParagraphStyle("heading", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=6)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Evidence pack: {facts.title}",
        author="Sverka",
        invariant=True,
    )

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(_escape(text), style)

    def table(head: list[str], rows: list[list[str]], widths: list[float]) -> Table:
        body = [[p(h, small) for h in head]] + [[p(c, small) for c in r] for r in rows]
        t = Table(body, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story: list[object] = [
        p(f"Evidence pack / Пакет доказательств: {facts.title}", title),
        Spacer(1, 2 * mm),
        p(
            f"Generated {facts.generated_at} for {facts.requested_by}"
            + (f" (partner INN {facts.partner_scope}: only what that partner may see)" if facts.partner_scope else "")
        ),
    ]
    if facts.invoices:
        story.append(p("Invoices", heading))
        story.append(
            table(
                ["Invoice", "Amount", "Paid", "Currency", "Status", "Due"],
                [[i.number, i.amount, i.paid, i.currency, i.status, i.due_date or "—"] for i in facts.invoices],
                [40, 30, 30, 20, 30, 34],
            )
        )
    story.append(p("Bank lines as the bank reported them", heading))
    story.append(
        table(
            ["Bank ref", "Booked", "Amount", "Counterparty", "Purpose", "Status", "Statement file SHA-256"],
            [
                [
                    ln.bank_ref,
                    ln.booking_date or "—",
                    f"{ln.amount} {ln.currency}",
                    ln.counterparty,
                    ln.purpose,
                    ln.match_status,
                    ln.statement_sha256,
                ]
                for ln in facts.lines
            ]
            or [["—", "", "", "no bank line is linked to this subject", "", "", ""]],
            [22, 17, 24, 30, 41, 20, 30],
        )
    )
    story.append(p("Allocation decisions: who, when, why", heading))
    story.append(
        table(
            ["#", "Payment → invoice", "Amount", "Kind", "Decided", "Why", "Reversed"],
            [
                [
                    str(a.id),
                    f"{a.bank_ref} → {a.invoice_no}",
                    f"{a.amount} {a.currency}",
                    a.kind,
                    f"{a.created_by}, {a.created_at}",
                    a.why,
                    f"{a.reversed_by}, {a.reversed_at}: {a.reversal_reason}" if a.reversed_at else "—",
                ]
                for a in facts.allocations
            ]
            or [["—", "no allocation or suggestion", "", "", "", "", ""]],
            [9, 30, 22, 16, 32, 40, 35],
        )
    )
    story.append(p("Notifications and their delivery receipts", heading))
    story.append(
        table(
            ["Channel", "What, to whom", "Status", "Attempts (receipts)"],
            [[n.channel, n.what, n.status, n.attempts or "—"] for n in facts.notifications]
            or [["—", "no notification was sent about this subject", "", ""]],
            [19, 59, 18, 88],
        )
    )
    spans = ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in facts.runs) or "none"
    story += [
        p("What this pack proves", heading),
        p(
            "manifest.json lists every other file with its SHA-256: a changed, removed or added file is detected. "
            "journal.jsonl holds the journal events about this subject; each event's hash covers its fields and the "
            "previous event's hash, so an altered event no longer recomputes, and a removed one breaks the link "
            "between its neighbours. Check it offline with: sverka evidence verify FILE.zip"
        ),
        p(f"Journal events included: {facts.events}; unbroken runs of the chain: {spans}."),
        p(f"At pack time the journal's head was event {facts.head_seq} with hash {facts.head_hash}."),
        p("What it does not prove", heading),
        p(
            "That no event outside the pack concerns the subject: compare the head above and the included events with "
            "the live journal (sverka journal verify; GET /v1/journal). That this pack is the one Sverka issued: the "
            "live journal records each pack's manifest SHA-256 (evidence.packed). That a statement file is authentic: "
            "its bytes are not stored, only its SHA-256 — hash your copy of the bank's file and compare."
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
