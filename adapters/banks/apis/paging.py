"""Detects paging that did not yield one consistent snapshot of the account.

Banks page statements with opaque cursors or ``next`` links; the data can change between two
page requests (a new booking shifts offsets), a server can hand out a link it already gave, or
skip a page. Each of those makes the pull incomplete or doubled, and the store would record the
window as done. So the clients run every page through a :class:`PageGuard` and give up loudly
(:class:`PagingGapError`) — the caller retries the whole window later, when the bank is calm.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from adapters.banks.apis.base import PagingGapError

# Far more than any real account needs in one window; stops a server that pages forever.
DEFAULT_MAX_PAGES = 2_000


class PageGuard:
    """Remembers what one paged pull has seen and raises on the first inconsistency."""

    def __init__(self, where: str, *, max_pages: int = DEFAULT_MAX_PAGES) -> None:
        self._where = where
        self._max_pages = max_pages
        self._tokens_followed: set[str] = set()
        self._item_page: dict[str, int] = {}
        self.pages = 0

    def _gap(self, reason: str) -> PagingGapError:
        return PagingGapError(f"{self._where}: {reason}; the window must be pulled again")

    def follow(self, token: str) -> None:
        """Record that we are about to request the page named ``token`` (a cursor or next link)."""
        if token in self._tokens_followed:
            raise self._gap(f"the bank sent a page link it already sent ({token!r}): paging loops")
        if len(self._tokens_followed) + 1 >= self._max_pages:
            raise self._gap(f"more than {self._max_pages} pages")
        self._tokens_followed.add(token)

    def served(self, requested: str, echoed: str | None) -> None:
        """Check that the page the bank says it served is the one we asked for (when it says)."""
        if echoed is not None and echoed != requested:
            raise self._gap(f"asked for page {requested!r} but the bank served {echoed!r}")

    def page_items(self, keys: Iterable[str]) -> None:
        """Record one page's item identities; an item already seen on an earlier page means the
        list shifted under us (offset paging while something was inserted or re-sorted)."""
        self.pages += 1
        for key in keys:
            first = self._item_page.get(key)
            if first is not None:
                raise self._gap(
                    f"item {key!r} appeared on page {first} and again on page {self.pages}: "
                    "the data changed while we were paging"
                )
            self._item_page[key] = self.pages

    def balances(self, opening: Decimal, closing: Decimal, booked_total: Decimal) -> None:
        """opening + every booked movement must equal closing; a difference is a missing page."""
        if opening + booked_total != closing:
            raise self._gap(
                f"opening {opening} + booked movements {booked_total} != closing {closing} "
                f"(difference {closing - opening - booked_total}): lines are missing or doubled"
            )
