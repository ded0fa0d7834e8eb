"""The incremental window: re-read an overlap, never call today complete, never go backwards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adapters.banks.apis import DateWindow, SyncCursor, advance_cursor, plan_window

TODAY = date(2024, 3, 29)


def test_first_sync_reaches_back_the_configured_number_of_days():
    assert plan_window(None, today=TODAY, first_sync_days=31) == DateWindow(date(2024, 2, 28), TODAY)


def test_next_window_re_reads_the_overlap_days_before_the_cursor():
    window = plan_window(SyncCursor(date(2024, 3, 20)), today=TODAY, overlap_days=3)

    assert window == DateWindow(date(2024, 3, 18), TODAY)


def test_zero_overlap_starts_the_day_after_the_cursor():
    assert plan_window(SyncCursor(date(2024, 3, 20)), today=TODAY, overlap_days=0).date_from == date(2024, 3, 21)


def test_a_long_outage_catches_up_in_bounded_steps():
    window = plan_window(SyncCursor(date(2023, 1, 1)), today=TODAY, overlap_days=2, max_days=30)

    assert window.days == 30
    assert window.date_from == date(2022, 12, 31)


def test_a_cursor_from_the_future_still_re_reads_today():
    assert plan_window(SyncCursor(TODAY + timedelta(days=5)), today=TODAY, overlap_days=1) == DateWindow(TODAY, TODAY)


def test_today_is_never_marked_complete():
    assert advance_cursor(None, DateWindow(date(2024, 3, 1), TODAY), today=TODAY) == SyncCursor(
        TODAY - timedelta(days=1)
    )


def test_a_cursor_never_moves_backwards():
    previous = SyncCursor(date(2024, 3, 28))

    assert advance_cursor(previous, DateWindow(date(2024, 3, 1), date(2024, 3, 10)), today=TODAY) == previous


def test_cursor_round_trips_through_its_stored_text():
    cursor = SyncCursor(date(2024, 3, 28))

    assert SyncCursor.decode(cursor.encode()) == cursor
    with pytest.raises(ValueError, match="not a sync cursor"):
        SyncCursor.decode("2024-03-28")


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="overlap_days"):
        plan_window(None, today=TODAY, overlap_days=-1)
