"""Identity signing, signed links, the secret file and the visitor id (no gradio)."""

from __future__ import annotations

import ipaddress
import multiprocessing
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from wanvideo.identity import (
    BROWSER_SECRET_FILE,
    SECRET_FILE,
    Identity,
    client_address,
    read_or_create_secret,
    visitor_id,
)

SECRET = b"s" * 32


def test_owner_signatures() -> None:
    ident = Identity(SECRET, "browser")
    value = ident.new_value()
    assert ident.anonymous_owner(value) == value["id"] and value["id"].startswith("anon:")
    assert ident.anonymous_owner({**value, "sig": "0" * 64}) is None
    assert ident.anonymous_owner({"id": "hf:alice", "sig": ident.sign("hf:alice")}) is None  # anon ids only
    assert ident.anonymous_owner("not a dict") is None
    token = ident.token("hf:alice")
    assert ident.owner_from_token(token) == "hf:alice"
    assert ident.owner_from_token(token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert ident.owner_from_token("hf:bob." + token.rpartition(".")[2]) is None
    assert Identity(b"t" * 32, "browser").owner_from_token(token) is None  # another secret


def test_signed_links_expire_and_bind_the_resource() -> None:
    ident = Identity(SECRET, "browser")
    sig = ident.sign_link("video\nr1\nanon:x", 1000)
    assert ident.verify_link("video\nr1\nanon:x", "1000", sig, now=999)
    assert not ident.verify_link("video\nr1\nanon:x", "1000", sig, now=1001)  # expired
    assert not ident.verify_link("video\nr2\nanon:x", "1000", sig, now=999)  # another record
    assert not ident.verify_link("video\nr1\nanon:x", "2000", sig, now=999)  # a longer expiry
    assert not ident.verify_link("video\nr1\nanon:x", "soon", sig, now=999)
    assert not ident.verify_link("video\nr1\nanon:x", "1000", None, now=999)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Identity(b"short", "browser")


class _Settings:
    def __init__(self, data_dir: Path, secret: str | None = None) -> None:
        self.data_dir = data_dir
        self.session_secret = SecretStr(secret) if secret else None


def test_secret_files_are_private_and_kept(tmp_path: Path) -> None:
    first = Identity.for_settings(_Settings(tmp_path))
    for name in (SECRET_FILE, BROWSER_SECRET_FILE):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert first.browser_secret == (tmp_path / BROWSER_SECRET_FILE).read_text()
    value = first.new_value()
    restarted = Identity(read_or_create_secret(tmp_path / SECRET_FILE), first.browser_secret)
    assert restarted.anonymous_owner(value) == value["id"]  # a restart keeps identities
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [SECRET_FILE, BROWSER_SECRET_FILE]
    )  # no stray temp


def test_the_browser_secret_is_not_derived_from_the_server_secret(tmp_path: Path) -> None:
    a = Identity.for_settings(_Settings(tmp_path / "a", "x" * 40))
    b = Identity.for_settings(_Settings(tmp_path / "b", "x" * 40))
    assert a.browser_secret != b.browser_secret  # same secret, independent random page secrets
    assert a.owner_from_token(b.token("hf:alice")) == "hf:alice"  # but signatures agree


def _race(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(read_or_create_secret(Path(path)))


def test_workers_starting_at_once_agree_on_one_complete_secret(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        path = tmp_path / f"secret-{round_}"
        queue = ctx.Queue()
        workers = [ctx.Process(target=_race, args=(str(path), queue)) for _ in range(6)]
        for w in workers:
            w.start()
        values = {queue.get(timeout=30) for _ in workers}
        for w in workers:
            w.join(timeout=30)
        assert len(values) == 1 and len(values.pop()) == 64
        assert path.read_bytes().strip() and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_truncated_secret_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wanvideo.identity._PUBLISH_WAIT", 0.1)
    (tmp_path / "s").write_bytes(b"abc")
    with pytest.raises(RuntimeError, match="too short"):
        read_or_create_secret(tmp_path / "s")


@pytest.mark.parametrize(
    ("peer", "forwarded", "on_space", "expected"),
    [
        ("203.0.113.9", None, False, "203.0.113.9"),
        ("127.0.0.1", "8.8.8.8", False, "127.0.0.1"),  # off a Space the header is the client's word
        ("10.16.3.80", "8.8.8.8", True, "8.8.8.8"),
        ("10.16.3.80", "1.1.1.1, 8.8.8.8, 10.0.0.2", True, "8.8.8.8"),  # spoofed left entry ignored
        ("10.16.3.80", "garbage, 10.0.0.2", True, "10.16.3.80"),
        (None, None, False, None),
    ],
)
def test_client_address(peer, forwarded, on_space, expected) -> None:
    assert client_address(peer, forwarded, on_space=on_space) == expected


BALANCERS = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),  # behind the balancer: the address it saw
        ("10.0.0.5", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a visitor's own entry on the left
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two balancers in a row
        ("10.0.0.5", "[not an ip], 203.0.113.9", "203.0.113.9"),
        ("10.0.0.5", "203.0.113.9, garbage", "10.0.0.5"),  # a broken header: the peer
        ("198.51.100.4", "203.0.113.9", "198.51.100.4"),  # an untrusted peer's header is its word
        ("fd00::1", "2001:db8::7", "2001:db8::7"),  # IPv6
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "10.0.0.6, 10.0.0.7", "10.0.0.5"),  # only balancers: the peer
    ],
)
def test_client_address_behind_trusted_proxies(peer, forwarded, expected) -> None:
    assert client_address(peer, forwarded, on_space=False, trusted=BALANCERS) == expected


def test_two_visitors_behind_one_balancer_are_two() -> None:
    one = visitor_id(
        user=None, peer="10.0.0.5", forwarded_for="203.0.113.9", on_space=False, trusted=BALANCERS
    )
    two = visitor_id(
        user=None, peer="10.0.0.5", forwarded_for="198.51.100.1", on_space=False, trusted=BALANCERS
    )
    assert (one, two) == ("ip:203.0.113.9", "ip:198.51.100.1")
    untrusted = visitor_id(user=None, peer="10.0.0.5", forwarded_for="203.0.113.9", on_space=False)
    assert untrusted == "ip:10.0.0.5"  # without WAN_TRUSTED_PROXIES the header changes nothing


def test_visitor_is_the_user_else_the_address() -> None:
    assert visitor_id(user="alice", peer="8.8.8.8", forwarded_for=None, on_space=False) == "hf:alice"
    assert visitor_id(user="bad name!", peer="8.8.8.8", forwarded_for=None, on_space=False) == "ip:8.8.8.8"
    assert visitor_id(user=None, peer=None, forwarded_for=None, on_space=False) == "ip:unknown"
