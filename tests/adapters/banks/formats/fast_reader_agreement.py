"""The rule every fast reader is held to: answer exactly as the careful reader does, or decline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from adapters.banks.base import ParseError

T = TypeVar("T")


def fast_reader_agrees(
    fast: Callable[[bytes], T | None], careful: Callable[[bytes], T], data: bytes, same: Callable[[T, T], None]
) -> bool:
    """True when the fast reader answered; ``same`` asserts that its answer is the careful reader's.

    A file the careful reader refuses, the fast reader must decline (and leave the careful reader
    to explain); declining a good file is allowed, which is why the tests also count answers.
    """
    answer = fast(data)
    try:
        reference = careful(data)
    except ParseError:
        assert answer is None, "the fast reader accepted a file the careful reader refuses"
        return False
    if answer is None:
        return False
    same(answer, reference)
    return True
