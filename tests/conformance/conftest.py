"""Conformance: the providers' official Python SDKs (`dashscope`, `fal-client`, pinned in
requirements-dev.txt) against the simulator's dialects on 127.0.0.1, with only their URL
settings pointed at it.

No test here may reach the internet: the SDKs' HTTP libraries honour proxy variables (cleared
here), and a name lookup of any host but this machine's fails the test at once, so an SDK that
tried a real host (an auth, CDN or backup domain) shows up as a failure instead of a hang.
"""

from __future__ import annotations

import socket

import pytest

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(scope="package", autouse=True)
def local_only():
    """For the whole package, module fixtures included (they call the SDKs too)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOCAL_HOSTS:
            raise OSError(f"conformance tests stay on 127.0.0.1; the SDK tried to reach {name!r}")
        return real(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        for name in PROXY_VARS:
            patch.delenv(name, raising=False)
        patch.setenv("NO_PROXY", ",".join(LOCAL_HOSTS))
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield
