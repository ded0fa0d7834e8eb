"""Which few invoices add up to a payment: a bounded exact subset-sum.

Subset-sum is exponential in general, so the search is bounded on both axes: at most
``max_items`` candidates (the caller picks the likeliest) and subsets of 2..4 invoices, found
by hashing singles and pairs (meet in the middle): O(n²) time and memory for n candidates,
about a thousand operations for 40 candidates. Larger subsets are not looked for: a payment
for five unnamed invoices is for a person to sort out, not for a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

MAX_SUPPORTED_SIZE = 4
MAX_PAIR_ITEMS = 2000


def subsets_summing_to(
    amounts: Sequence[tuple[int, int]], target: int, max_size: int, limit: int, deep_items: int
) -> list[tuple[int, ...]]:
    """Up to ``limit`` distinct subsets (2..max_size items) of ``(id, amount)`` that sum to ``target``.

    Pairs are looked for among all items (one hash lookup per item, capped at
    ``MAX_PAIR_ITEMS``); triples and quadruples, quadratic in the candidates, only among the
    first ``deep_items`` (callers pass the likeliest first). Returns tuples of ids in input
    order; callers treat two or more results as ambiguity. Items with a non-positive amount
    or one above the target can never take part and are skipped.
    """
    items = [(i, a) for i, a in amounts if 0 < a <= target][:MAX_PAIR_ITEMS]
    max_size = min(max_size, MAX_SUPPORTED_SIZE)
    found: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()

    def add(positions: tuple[int, ...]) -> bool:
        ids = tuple(items[p][0] for p in sorted(positions))
        if ids not in seen:
            seen.add(ids)
            found.append(ids)
        return len(found) >= limit

    single_at: dict[int, list[int]] = defaultdict(list)
    for pos, (_, amount) in enumerate(items):
        single_at[amount].append(pos)
    n = len(items)
    deep = min(n, deep_items)
    if max_size >= 2:
        for i in range(n):
            for j in single_at.get(target - items[i][1], ()):
                if j > i and add((i, j)):
                    return found
    if max_size >= 3:
        for i in range(deep):
            for j in range(i + 1, deep):
                rest = target - items[i][1] - items[j][1]
                if rest <= 0:
                    continue
                for k in single_at.get(rest, ()):
                    if j < k < deep and add((i, j, k)):
                        return found
    if max_size >= 4:
        pair_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for i in range(deep):
            for j in range(i + 1, deep):
                pair_at[items[i][1] + items[j][1]].append((i, j))
        for i in range(deep):
            for j in range(i + 1, deep):
                rest = target - items[i][1] - items[j][1]
                if rest <= 0:
                    continue
                for k, m in pair_at.get(rest, ()):
                    if k > j and add((i, j, k, m)):
                        return found
    return found
