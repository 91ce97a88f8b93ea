"""The "globally routable only" rule and the numeric host forms resolvers accept."""

from __future__ import annotations

import ipaddress

import pytest

from wanvideo.urls import (
    LINK_LOCAL,
    LOOPBACK,
    PRIVATE,
    SHARED,
    address_internal_reason,
    literal_internal_reason,
    parse_ip_host,
)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_numeric_hosts_are_read_as_resolvers_read_them(host: str, address: str) -> None:
    assert parse_ip_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "1.2.3.4.5", "256.1.1.1", "0xg", "08.1", "a.1", ""])
def test_names_are_not_addresses(host: str) -> None:
    assert parse_ip_host(host) is None


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("2130706433", LOOPBACK),
        ("127.1", LOOPBACK),
        ("0x7f.1", LOOPBACK),
        ("0177.0.0.1", LOOPBACK),
        ("localhost", LOOPBACK),
        ("app.localhost", LOOPBACK),
        ("[::1]", LOOPBACK),
        ("169.254.169.254", LINK_LOCAL),
        ("100.100.100.200", SHARED),  # Alibaba Cloud's metadata address
        ("100.64.0.1", SHARED),
        ("10.0.0.1", PRIVATE),
        ("172.16.0.9", PRIVATE),
        ("192.168.1.1", PRIVATE),
        ("0.0.0.0", PRIVATE),
        ("224.0.0.1", PRIVATE),  # multicast: `is_global` says True
        ("ff02::1", PRIVATE),
        ("fc00::1", PRIVATE),
        ("::ffff:127.0.0.1", LOOPBACK),  # IPv4-mapped
        ("::ffff:10.0.0.1", PRIVATE),
        ("::127.0.0.1", LOOPBACK),  # IPv4-compatible: `is_global` says True
        ("2002:7f00:1::", LOOPBACK),  # 6to4 of 127.0.0.1: `is_global` says True
        ("2002:a9fe:a9fe::", LINK_LOCAL),  # 6to4 of 169.254.169.254
        ("2002:6464:64c8::", SHARED),  # 6to4 of 100.100.100.200
        ("64:ff9b::7f00:1", LOOPBACK),  # NAT64 of 127.0.0.1: `is_global` says True
        ("64:ff9b::a00:1", PRIVATE),  # NAT64 of 10.0.0.1
        ("64:ff9b:1::808:808", PRIVATE),  # local-use NAT64
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", LOOPBACK),  # Teredo, client 127.0.0.1
    ],
)
def test_internal_hosts_are_refused(host: str, reason: str) -> None:
    assert literal_internal_reason(host) == reason


@pytest.mark.parametrize(
    "host",
    ["8.8.8.8", "134744072", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::808:808"],
)
def test_public_addresses_pass(host: str) -> None:
    assert literal_internal_reason(host) is None


def test_names_are_left_to_resolution() -> None:
    assert literal_internal_reason("example.com") is None


def test_address_rule_on_resolved_addresses() -> None:
    assert address_internal_reason(ipaddress.ip_address("127.0.0.2")) == LOOPBACK
    assert address_internal_reason(ipaddress.ip_address("93.184.215.14")) is None
