"""Pure parts of the running system (the processes themselves are driven in `e2e/`)."""

import pytest

from jobsimport_dagster.system import own_url


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:3000"),  # the default: loopback
        ("localhost", "http://localhost:3000"),
        ("0.0.0.0", "http://127.0.0.1:3000"),  # every IPv4 address: reached on loopback
        ("::", "http://127.0.0.1:3000"),  # every address
        ("::1", "http://[::1]:3000"),  # an IPv6 address is bracketed in a URL
        ("192.0.2.10", "http://192.0.2.10:3000"),  # one address: only it answers
    ],
)
def test_own_url_is_where_this_process_reaches_its_server(host: str, url: str) -> None:
    assert own_url(host, 3000) == url
