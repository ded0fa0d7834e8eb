"""A long-lived matcher decides lines one by one exactly as a batch run does."""

from __future__ import annotations

import gc

from services.reconciler.matching.engine import Matcher, cyclic_gc_paused, match_lines
from tests.services.reconciler.matching.factories import PARTNERS, VEKTOR, booked, credit, invoice


def test_lines_decided_on_arrival_match_the_batch_decisions() -> None:
    invoices = [
        invoice("INV-2026-00042", 1_200_00, id=1),
        invoice("INV-2026-00043", 500_00, id=2),
        invoice("INV-2026-00044", 800_00, partner=VEKTOR, id=3),
    ]
    lines = [
        credit(1_200_00, "Оплата по счету № INV-2026-00042"),
        credit(1_200_00, "Оплата по счету № INV-2026-00042 (повторно)"),  # already paid by the first
        credit(800_00, "Оплата по сч. INV-2026-00044", payer=VEKTOR),
        credit(500_00, "Оплата за услуги"),
    ]
    batch = match_lines(lines, invoices, PARTNERS)
    matcher = Matcher(invoices, PARTNERS)
    assert [matcher.decide(line) for line in lines] == batch
    assert booked(batch[0]) == {(1, 1_200_00)}
    assert booked(batch[1]) == set(), "what the first line booked is not offered again"


def test_an_arriving_line_sees_what_earlier_arrivals_booked() -> None:
    matcher = Matcher([invoice("INV-2026-00042", 1_200_00, id=7)], PARTNERS)
    first = matcher.decide(credit(1_200_00, "Оплата по счету № INV-2026-00042"))
    assert booked(first) == {(7, 1_200_00)}
    assert matcher.book.outstanding(7) == 0
    assert matcher.decide(credit(1_200_00, "Оплата по счету № INV-2026-00042")).outcome != "auto"


def test_a_run_pauses_the_cyclic_collector_and_restores_it() -> None:
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        match_lines([credit(1_00, "x")], [], PARTNERS)
        assert not gc.isenabled(), "a nested run leaves the outer pause alone"
    assert gc.isenabled()
    gc.disable()
    try:
        match_lines([credit(1_00, "x")], [], PARTNERS)
        assert not gc.isenabled(), "a caller that turned the collector off keeps it off"
    finally:
        gc.enable()
