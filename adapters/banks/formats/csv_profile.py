"""CSV column-mapping profiles: one TOML file says how one bank's CSV export maps to our lines.

Why profiles and not a clever generic reader: every bank invents its own columns, sign
convention, date and number notation, and a wrong guess books money on the wrong side. A
profile states each choice once, is reviewed like code, and can be added by configuration.
Validation is strict (unknown keys, wrong types, contradictory amount modes are refused with
the file and key named) because a typo in a profile would otherwise silently drop data.

The schema is documented with a worked example in ``docs/formats/csv.md``.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.banks.formats.csv_values import validate_date_format

ColumnRef = str | int

# Single-value columns a profile may map; each takes a header name or a 0-based index.
_SINGLE_COLUMNS = (
    "booking_date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "direction",
    "currency",
    "account",
    "counterparty_name",
    "counterparty_account",
    "counterparty_tax_id",
    "bank_ref",
    "status",
    "balance_after",
    "balance_before",
    "fee",
)
_META_KEYS = ("account", "currency", "opening_balance", "closing_balance")
_TOP_KEYS = {
    "name",
    "description",
    "reject",
    "encoding",
    "delimiter",
    "quotechar",
    "skip_initial_space",
    "header",
    "header_search_rows",
    "detect",
    "columns",
    "values",
    "meta",
}
_DETECT_KEYS = {"header", "required_columns", "first_line_regex"}
_VALUE_KEYS = {
    "date_formats",
    "decimal_separator",
    "thousands_separator",
    "currency",
    "account",
    "direction_debit",
    "direction_credit",
    "negate_amounts",
    "status_booked",
    "status_pending",
    "skip_row_regex",
    "strip_chars",
}
_CURRENCY = re.compile(r"[A-Z]{3}")


class ProfileError(ValueError):
    """A profile file that cannot be used; names the file and the offending key."""


@dataclass(frozen=True, slots=True)
class DetectRule:
    """How a file is recognised: its header row (exact, or containing some names) or first line."""

    header: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()
    first_line_regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """One bank export's layout and notation. See the module docstring for why this exists."""

    name: str
    source: str
    detect: DetectRule
    description: str = ""
    # When set, files matching this profile are known non-statements and refused with this reason.
    reject: str | None = None
    encoding: str = "utf-8"
    delimiters: tuple[str, ...] = (",",)
    quotechar: str = '"'
    skip_initial_space: bool = False
    has_header: bool = True
    header_search_rows: int = 1
    columns: Mapping[str, ColumnRef] = field(default_factory=dict)
    purpose: tuple[ColumnRef, ...] = ()
    details: Mapping[str, ColumnRef] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_separator: str = "."
    thousands_separators: str = ""
    currency: str | None = None
    account: str | None = None
    direction_debit: frozenset[str] = frozenset()
    direction_credit: frozenset[str] = frozenset()
    negate_amounts: bool = False
    status_booked: frozenset[str] = frozenset()
    status_pending: frozenset[str] = frozenset()
    skip_row_regex: re.Pattern[str] | None = None
    strip_chars: str = " \t"
    meta: Mapping[str, re.Pattern[str]] = field(default_factory=dict)


def _fail(source: str, key: str, reason: str) -> ProfileError:
    return ProfileError(f"CSV profile {source}: [{key}] {reason}")


def _str(src: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(src, key, f"must be a string, got {type(value).__name__}")
    return value


def _str_list(src: str, key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise _fail(src, key, "must be a string or a list of strings")
    return tuple(items)


def _bool(src: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(src, key, "must be true or false")
    return value


def _column(src: str, key: str, value: Any, has_header: bool) -> ColumnRef:
    # bool is an int subclass; `true` as a column is always a mistake.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(src, key, "must be a header name (string) or a 0-based column index")
    if isinstance(value, int) and value < 0:
        raise _fail(src, key, "a column index must be >= 0")
    if isinstance(value, str) and (not has_header or not value.strip()):
        raise _fail(src, key, "a headerless profile maps columns by index, not by name")
    return value


def _regex(src: str, key: str, value: Any, *, flags: int = 0, groups: int | None = None) -> re.Pattern[str]:
    try:
        pattern = re.compile(_str(src, key, value), flags)
    except re.error as exc:
        raise _fail(src, key, f"invalid regular expression: {exc}") from None
    if groups is not None and pattern.groups != groups:
        raise _fail(src, key, f"needs exactly {groups} capture group(s)")
    return pattern


def _check_keys(src: str, section: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(src, section, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _table(src: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(src, key, "must be a table")
    return value


def profile_from_mapping(data: Mapping[str, Any], source: str) -> CsvProfile:
    """Build and validate a profile from parsed TOML; :class:`ProfileError` on any mistake."""
    src = source
    _check_keys(src, "top level", data, _TOP_KEYS)
    name = _str(src, "name", data.get("name"))
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise _fail(src, "name", "use lower-case letters, digits, '-', '_' or '.'")
    reject = _str(src, "reject", data["reject"]) if "reject" in data else None

    encoding = _str(src, "encoding", data.get("encoding", "utf-8"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _fail(src, "encoding", f"unknown encoding {encoding!r}") from None
    delimiters = _str_list(src, "delimiter", data.get("delimiter", ","))
    if not delimiters or any(len(d) != 1 or d in '\r\n"' for d in delimiters):
        raise _fail(src, "delimiter", "each delimiter must be one character (not a quote or newline)")
    quotechar = _str(src, "quotechar", data.get("quotechar", '"'))
    if len(quotechar) != 1 or quotechar in delimiters:
        raise _fail(src, "quotechar", "must be one character, different from the delimiter")
    has_header = _bool(src, "header", data.get("header", True))
    search_rows = data.get("header_search_rows", 1)
    if isinstance(search_rows, bool) or not isinstance(search_rows, int) or not 1 <= search_rows <= 200:
        raise _fail(src, "header_search_rows", "must be an integer from 1 to 200")

    detect_t = _table(src, "detect", data.get("detect"))
    _check_keys(src, "detect", detect_t, _DETECT_KEYS)
    detect = DetectRule(
        header=_str_list(src, "detect.header", detect_t.get("header", [])),
        required_columns=_str_list(src, "detect.required_columns", detect_t.get("required_columns", [])),
        first_line_regex=(
            _regex(src, "detect.first_line_regex", detect_t["first_line_regex"])
            if "first_line_regex" in detect_t
            else None
        ),
    )
    if has_header and not (detect.header or detect.required_columns):
        raise _fail(src, "detect", "a profile with a header needs detect.header or detect.required_columns")
    if not has_header and detect.first_line_regex is None:
        raise _fail(src, "detect", "a headerless profile needs detect.first_line_regex")

    columns_t = _table(src, "columns", data.get("columns", {}))
    _check_keys(src, "columns", columns_t, {*_SINGLE_COLUMNS, "purpose", "details"})
    columns = {k: _column(src, f"columns.{k}", v, has_header) for k, v in columns_t.items() if k in _SINGLE_COLUMNS}
    raw_purpose = columns_t.get("purpose", [])
    purpose = tuple(
        _column(src, "columns.purpose", v, has_header)
        for v in (raw_purpose if isinstance(raw_purpose, list) else [raw_purpose])
    )
    details = {
        _str(src, "columns.details", k): _column(src, f"columns.details.{k}", v, has_header)
        for k, v in _table(src, "columns.details", columns_t.get("details", {})).items()
    }

    values_t = _table(src, "values", data.get("values", {}))
    _check_keys(src, "values", values_t, _VALUE_KEYS)
    date_formats = _str_list(src, "values.date_formats", values_t.get("date_formats", ["%Y-%m-%d"]))
    if not date_formats:
        raise _fail(src, "values.date_formats", "list at least one format")
    for fmt in date_formats:
        try:
            validate_date_format(fmt)
        except ValueError as exc:
            raise _fail(src, "values.date_formats", str(exc)) from None
    decimal_sep = _str(src, "values.decimal_separator", values_t.get("decimal_separator", "."))
    if decimal_sep not in {".", ","}:
        raise _fail(src, "values.decimal_separator", "must be '.' or ','")
    thousands = "".join(_str_list(src, "values.thousands_separator", values_t.get("thousands_separator", [])))
    if decimal_sep in thousands or any(c.isdigit() or c in "+-" for c in thousands):
        raise _fail(src, "values.thousands_separator", "must not be a digit, a sign or the decimal separator")
    currency = _str(src, "values.currency", values_t["currency"]) if "currency" in values_t else None
    if currency is not None and not _CURRENCY.fullmatch(currency):
        raise _fail(src, "values.currency", "must be an ISO 4217 code like EUR")
    account = _str(src, "values.account", values_t["account"]) if "account" in values_t else None
    debit_words = frozenset(_str_list(src, "values.direction_debit", values_t.get("direction_debit", [])))
    credit_words = frozenset(_str_list(src, "values.direction_credit", values_t.get("direction_credit", [])))
    booked = frozenset(_str_list(src, "values.status_booked", values_t.get("status_booked", [])))
    pending = frozenset(_str_list(src, "values.status_pending", values_t.get("status_pending", [])))
    skip_row = (
        _regex(src, "values.skip_row_regex", values_t["skip_row_regex"]) if "skip_row_regex" in values_t else None
    )
    strip_chars = _str(src, "values.strip_chars", values_t.get("strip_chars", " \t"))

    meta_t = _table(src, "meta", data.get("meta", {}))
    _check_keys(src, "meta", meta_t, set(_META_KEYS))
    meta = {k: _regex(src, f"meta.{k}", v, flags=re.MULTILINE, groups=1) for k, v in meta_t.items()}

    profile = CsvProfile(
        name=name,
        source=source,
        detect=detect,
        description=str(data.get("description", "")),
        reject=reject,
        encoding=encoding,
        delimiters=delimiters,
        quotechar=quotechar,
        skip_initial_space=_bool(src, "skip_initial_space", data.get("skip_initial_space", False)),
        has_header=has_header,
        header_search_rows=search_rows,
        columns=columns,
        purpose=purpose,
        details=details,
        date_formats=date_formats,
        decimal_separator=decimal_sep,
        thousands_separators=thousands,
        currency=currency,
        account=account,
        direction_debit=debit_words,
        direction_credit=credit_words,
        negate_amounts=_bool(src, "values.negate_amounts", values_t.get("negate_amounts", False)),
        status_booked=booked,
        status_pending=pending,
        skip_row_regex=skip_row,
        strip_chars=strip_chars,
        meta=meta,
    )
    if reject is None:
        _check_mapping_is_complete(profile)
    return profile


def _check_mapping_is_complete(p: CsvProfile) -> None:
    """Refuse profiles whose amount or date mapping is missing or ambiguous."""
    cols = p.columns
    if "booking_date" not in cols:
        raise _fail(p.source, "columns.booking_date", "is required")
    has_amount = "amount" in cols
    has_split = "debit" in cols or "credit" in cols
    if has_amount == has_split:
        raise _fail(p.source, "columns", "map either `amount` or both `debit` and `credit`")
    if has_split and not ("debit" in cols and "credit" in cols):
        raise _fail(p.source, "columns", "`debit` and `credit` go together")
    if "direction" in cols:
        if not has_amount:
            raise _fail(p.source, "columns.direction", "a C/D indicator needs a single `amount` column")
        if not p.direction_debit or not p.direction_credit:
            raise _fail(p.source, "values", "`direction` needs direction_debit and direction_credit values")
        if p.direction_debit & p.direction_credit:
            raise _fail(p.source, "values", "direction_debit and direction_credit overlap")
    if "status" in cols and not (p.status_booked or p.status_pending):
        raise _fail(p.source, "values", "`status` needs status_booked and/or status_pending values")
    if "currency" not in cols and p.currency is None and "currency" not in p.meta:
        raise _fail(p.source, "values.currency", "give a currency column, a fixed currency or meta.currency")
    if "balance_after" in cols and "balance_before" in cols:
        raise _fail(p.source, "columns", "map balance_after or balance_before, not both")


def load_profile(path: Path) -> CsvProfile:
    """Read one profile file; :class:`ProfileError` when it is unreadable or invalid."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"CSV profile {path}: cannot read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"CSV profile {path}: invalid TOML ({exc})") from exc
    return profile_from_mapping(data, str(path))
