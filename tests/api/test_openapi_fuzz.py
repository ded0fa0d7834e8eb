"""Schemathesis against the live OpenAPI document: no 500s, and every response matches what the document says.

Runs over real loopback HTTP with a write key, a few examples per operation (``slow``): enough to
find a route whose error or success shape lies, bounded so it stays within a couple of minutes.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import invoice
from tests.api.keys import bearer, issue_key

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_operation_keeps_its_documented_contract(base_url: str) -> None:
    import httpx

    key = issue_key()
    with httpx.Client(base_url=base_url, headers=bearer(key)) as http:  # something for lookups to find
        for n in range(3):
            assert http.post("/v1/invoices", json=invoice(f"INV-{n}")).status_code == 201
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation fails loudly here
        if operation.path in ("/v1/statements",) and operation.method.upper() == "POST":
            continue  # multipart uploads of random bytes: covered by intake's own tests

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(base_url=base_url, headers=bearer(key), checks=CHECKS, excluded_checks=[])

        try:
            run()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
