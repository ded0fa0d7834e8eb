"""``shared.json_text`` writes exactly the text ``json.dumps`` writes, for the options it is given."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from shared import json_text

VALUES: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5e-300,
    1e16,
    -0.0,
    math.inf,
    math.nan,
    "",
    'ёжик «q"uote» \\ \n\t\x00\x1f\u2028 😀',
    [],
    {},
    [1, [2, [3, {"z": None, "a": [True, False]}]]],
    {"b": 1, "a": {"d": 2, "c": [0.1, "x"]}, "ä": 3, "A": 4},
]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False},
    {"sort_keys": False, "separators": (",", ":"), "ensure_ascii": True},
]


@pytest.mark.parametrize("options", OPTIONS, ids=["defaults", "canonical", "compact-ascii"])
@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_text_is_json_dumps_text(value: Any, options: dict[str, Any]) -> None:
    assert json_text.encoder(**options)(value) == json.dumps(value, **options)


def test_dumps_is_json_dumps_with_its_defaults() -> None:
    for value in VALUES:
        assert json_text.dumps(value) == json.dumps(value)


def test_a_value_json_cannot_write_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text.dumps({"when": object()})
