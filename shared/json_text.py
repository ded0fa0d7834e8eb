"""JSON text exactly as ``json.dumps`` writes it, without building an encoder per call.

Why: ``json.dumps`` (and ``JSONEncoder.encode``) set up the C encoder afresh for every value,
which costs more than encoding a small dict. The journal hashes one canonical text per event and
SQLite stores one more per JSON column, hundreds of thousands per import or matcher run
(docs/benchmarks.md, "Reconciliation flow"). An encoder made here once gives the same text; only
a value that contains itself fails differently (a ``RecursionError``, not a ``ValueError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# The C encoder ``json`` itself uses (None only on an interpreter without the C accelerator).
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def encoder(
    *, sort_keys: bool = False, separators: tuple[str, str] = (", ", ": "), ensure_ascii: bool = True
) -> Callable[[Any], str]:
    """A function giving ``json.dumps(value, sort_keys=…, separators=…, ensure_ascii=…)``."""
    reference = json.JSONEncoder(sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii)
    if _c_make_encoder is None:  # pragma: no cover
        return reference.encode
    item_separator, key_separator = separators
    strings = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    made = _c_make_encoder(
        None, reference.default, strings, None, key_separator, item_separator, sort_keys, False, True
    )

    def encode(value: Any) -> str:
        return "".join(made(value, 0))

    return encode


dumps = encoder()
"""``json.dumps(value)`` with the default options (what SQLAlchemy stores in a JSON column)."""
