"""What the failure lines say (item 14): no host, port or urllib3 internals; a stalled body called a
timeout, not a reset; a failing account stream named once, and no other stream blamed.
"""

from __future__ import annotations

from tests.hostile import (
    assert_last_error,
    assert_no_leak,
    assert_no_traceback,
    error_lines,
    install,
    public_config,
    run_tap,
    select,
)
from tests.hostile.servers import errors_answer, stall_after_headers

TOKENS = {"acme1": "acct-tok-msg1-4a5b6c7d8e", "acme2": "acct-tok-msg2-9f8e7d6c5b"}
STREAMS = ("installed_accounts", "account_timezones", "account_configuration", "orders", "products", "warehouses")


def test_unreachable_account_datacentre_is_reported_without_host_or_port(fake, public_catalog, tmp_path):
    fake.installs = [install(code, token) for code, token in TOKENS.items()]
    config = public_config(
        fake.url,
        datacenter_urls={"euw1": fake.url, "use1": "http://127.0.0.1:1"},
        account_data_centers=dict.fromkeys(TOKENS, "use1"),
    )
    run = run_tap(config, tmp_path, catalog=select(public_catalog, "installed_accounts", "account_configuration"))
    reported = [line for line in run.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert any("acme1" in line for line in reported), "the failing account must be reported"
    for line in reported:
        for word in ("127.0.0.1", "port=1", "HTTPConnectionPool", "NewConnectionError"):
            assert word not in line, f"{word!r} in a failure line: {line}"
    assert_no_traceback(run)
    assert_no_leak(run, account_tokens=TOKENS.values())


def test_body_stalled_after_the_headers_is_a_timeout_not_a_reset(fake, public_catalog, tmp_path):
    fake.on("installed-accounts", lambda seen: stall_after_headers())
    run = run_tap(public_config(fake.url, request_timeout=2), tmp_path, catalog=select(public_catalog, *STREAMS[:2]))
    last = assert_last_error(run, "no answer within request_timeout")
    assert "refused or reset" not in last
    assert_no_leak(run)


def test_failing_account_stream_is_the_only_stream_an_error_names(fake, public_catalog, tmp_path):
    fake.installs = [install(code, token) for code, token in TOKENS.items()]
    fake.on("/product-service/product-search", lambda seen: errors_answer("CMNC-018", "Invalid filter value"))
    run = run_tap(public_config(fake.url), tmp_path, catalog=select(public_catalog, *STREAMS))
    assert run.returncode == 1, "every account failed in products: the run fails"
    errors = error_lines(run)
    assert any("products" in line and "CMNC-018" in line for line in errors), "\n".join(errors)
    for line in errors:
        others = [s for s in STREAMS if s != "products" and s in line]
        assert not others, f"an ERROR names {others} for the products failure: {line}"
    assert_no_traceback(run)
    assert_no_leak(run, account_tokens=TOKENS.values())
