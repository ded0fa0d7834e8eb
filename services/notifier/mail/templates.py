"""Email texts from Jinja templates, one per kind and language (``templates/email/<kind>.<lang>.txt``).

The first line a template renders is the subject; the rest is the plain-text body. Plain text
because it is what every mail client shows the same way and what an accountant can paste into
a dispute; the documents travel as attachments. A missing variable is an error
(``StrictUndefined``), never an email with a blank where the amount should be.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("ru", "en")


def language_of(value: str | None) -> str:
    """The partner's language if we write in it, else Russian."""
    code = (value or "").strip().lower()[:2]
    return code if code in LANGUAGES else "ru"


def money(value: Any, currency: str, language: str = "ru") -> str:
    """``1234567.8`` → "1 234 567,80 RUB" (ru) or "1,234,567.80 RUB" (en); Decimal only, never float."""
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    sign = "-" if amount < 0 else ""
    whole, _, frac = f"{abs(amount):.2f}".partition(".")
    grouped = f"{int(whole):,}"
    if language == "en":
        return f"{sign}{grouped}.{frac} {currency}"
    return f"{sign}{grouped.replace(',', chr(0xA0))},{frac} {currency}"


def day(value: Any) -> str:
    """An ISO date (or a date) as dd.mm.yyyy."""
    if not value:
        return "—"
    parsed = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return parsed.strftime("%d.%m.%Y")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - plain-text emails; the partner page has its own escaping environment
        keep_trailing_newline=True,
    )
    env.filters["money"] = money
    env.filters["day"] = day
    return env


def render(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of an email of ``kind`` in ``language``."""
    text = environment().get_template(f"email/{kind}.{language_of(language)}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")
