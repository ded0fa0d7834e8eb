"""Webhook URLs that lead into our own network are refused, however they are spelled."""

from __future__ import annotations

import pytest

from services.notifier.ssrf import UnsafeTarget, forbidden_reason, resolve_target


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/hook",  # … in hex
        "http://0177.0.0.1/hook",  # … in octal
        "http://127.1/hook",  # … shortened
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
        "http://[::ffff:a9fe:a9fe]/hook",  # 169.254.169.254, the cloud metadata service, mapped
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT space
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
        "http://[64:ff9b::a00:1]/hook",  # NAT64 wrapping 10.0.0.1
    ],
)
def test_private_loopback_link_local_and_disguised_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        resolve_target(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "http://user:pass@example.com/x", "http://example.com/x#frag", "hook", "http://:80/"],
)
def test_only_plain_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        resolve_target(url, allow_private=True, resolver=lambda host, port: ["93.184.215.14"])


def test_a_name_with_any_private_answer_is_refused() -> None:
    with pytest.raises(UnsafeTarget, match=r"10\.0\.0\.1"):
        resolve_target(
            "https://mixed.example/hook", allow_private=False, resolver=lambda h, p: ["93.184.215.14", "10.0.0.1"]
        )


def test_a_public_name_is_pinned_to_the_address_that_was_checked() -> None:
    target = resolve_target(
        "https://hooks.example.com:8443/in?x=1", allow_private=False, resolver=lambda h, p: ["93.184.215.14"]
    )
    assert target.pinned_url() == "https://93.184.215.14:8443/in?x=1"
    assert (target.host_header, target.host) == ("hooks.example.com:8443", "hooks.example.com")


def test_the_switch_for_tests_and_labs_allows_loopback() -> None:
    assert resolve_target("http://127.0.0.1:9/hook", allow_private=True).address == "127.0.0.1"


def test_public_addresses_pass() -> None:
    assert forbidden_reason("93.184.215.14") is None
    assert forbidden_reason("2606:2800:21f:cb07:6820:80da:af6b:8b2c") is None
