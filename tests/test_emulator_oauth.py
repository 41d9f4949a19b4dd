"""The emulator's OAuth 2, over real HTTP: the tap's OAuth mode is only as well tested as this is faithful.

Recorded answers (../shared/brightpearl-recordings/vcr/client_error_*.json) pin the two bearer 401s;
the token endpoint follows Brightpearl's docs, with the guesses marked in tests/emulator/oauth.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import RECORDINGS
from tests.emulator import Account, Emulator, sign

CLIENT = "bp-client"
SECRET = "s3cret+with/odd=chars"
REDIRECT = "http://localhost:8765/callback"
TOKEN_KEYS = {"access_token", "refresh_token", "api_domain", "token_type", "expires_in"}
API_DOMAINS = {"euw1": "ws-eu1.brightpearl.com", "use1": "ws-use.brightpearl.com", "usw1": "ws-usw.brightpearl.com"}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(n_accounts=12, seed=3) as e:
        e.enable_oauth(client_id=CLIENT, client_secret=SECRET, access_ttl=3600)
        yield e


def recorded(name: str) -> tuple[int, dict[str, str], str]:
    """(status, headers, body text) of a recording's first exchange; skipped where recordings are absent."""
    path = RECORDINGS / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"recorded Brightpearl responses are missing: {RECORDINGS}")
        pytest.skip(f"recording not found: {path}")
    response = json.loads(path.read_text())["interactions"][0]["response"]
    return response["status"], response["headers"], response["body"]


def account(e: Emulator, dc: str = "euw1", skip: int = 0) -> Account:
    return [a for a in e.accounts if a.datacentre == dc and a.enabled][skip]


def token(e: Emulator, dc: str = "euw1", path: str = "/oauth/token", **form: str) -> requests.Response:
    return requests.post(e.base_urls[dc] + path, data=form, timeout=10)


def refresh(e: Emulator, a: Account, refresh_token: str, dc: str = "euw1", **extra: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT}
    form.update(client_secret=SECRET, account_code=a.accountCode)
    form.update(extra)
    return token(e, dc, **{k: v for k, v in form.items() if v is not None})


def bearer_get(e: Emulator, a: Account, access: str, **headers: str) -> requests.Response:
    sent = {
        "Authorization": f"Bearer {access}",
        "brightpearl-dev-ref": e.developer_reference,
        "brightpearl-app-ref": e.app_reference,
        **headers,
    }
    url = f"{e.base_urls[a.datacentre]}/public-api/{a.accountCode}/warehouse-service/warehouse"
    return requests.get(url, headers=sent, timeout=10)


def authorize(e: Emulator, a: Account, **query: str) -> requests.Response:
    params = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "state": "st+ate/1", **query}
    url = f"{e.base_urls[e.master]}/authorize/{a.accountCode}"
    return requests.get(url, params=params, allow_redirects=False, timeout=10)


def error_of(r: requests.Response) -> tuple[int, str]:
    body = r.json()
    assert set(body) == {"error", "error_description"}
    return r.status_code, body["error"]


@pytest.mark.parametrize("dc", ["euw1", "use1", "usw1"])
def test_refresh_answers_tokens_with_the_api_domain_of_the_account_datacentre(emu: Emulator, dc: str) -> None:
    a = account(emu, dc)
    r = refresh(emu, a, emu.oauth_refresh_token(a.accountCode), dc="euw1")  # any datacentre's endpoint serves
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == TOKEN_KEYS
    assert (body["token_type"], body["expires_in"], body["api_domain"]) == ("Bearer", 3600, API_DOMAINS[dc])
    assert bearer_get(emu, a, body["access_token"]).status_code == 200
    assert emu.requests[-1].auth == "verified"


def test_the_default_lifetime_is_seven_days_and_the_path_form_works() -> None:
    with Emulator(n_accounts=4, seed=3) as e:
        e.enable_oauth(client_secret=None)
        a = account(e)
        form = {"grant_type": "refresh_token", "refresh_token": e.oauth_refresh_token(a.accountCode)}
        r = token(e, "use1", f"/{a.accountCode}/oauth/token", client_id="bp-client", **form)
        assert r.status_code == 200 and r.json()["expires_in"] == 604800


def test_rotation_retires_the_refresh_token_that_was_used(emu: Emulator) -> None:
    a = account(emu)
    first = emu.oauth_refresh_token(a.accountCode)
    second = refresh(emu, a, first).json()["refresh_token"]
    assert second != first
    assert error_of(refresh(emu, a, first)) == (400, "invalid_grant")
    third = refresh(emu, a, second).json()["refresh_token"]
    assert third not in (first, second)
    assert emu.oauth_grants == ["refresh_token", "refresh_token"] and emu.oauth_refresh_count == 2
    assert [r.status for r in emu.requests] == [200, 400, 200]


def test_without_rotation_the_refresh_token_stays() -> None:
    with Emulator(n_accounts=4, seed=3) as e:
        e.enable_oauth(client_id=CLIENT, client_secret=SECRET, rotate=False)
        a = account(e)
        kept = e.oauth_refresh_token(a.accountCode)
        for _ in range(2):
            r = refresh(e, a, kept)
            assert r.status_code == 200 and r.json()["refresh_token"] == kept
        assert e.oauth_refresh_count == 2


def test_revoked_tokens_are_an_invalid_grant_for_that_account_only(emu: Emulator) -> None:
    a, b = account(emu), account(emu, skip=1)
    dead, alive = emu.oauth_refresh_token(a.accountCode), emu.oauth_refresh_token(b.accountCode)
    emu.revoke_refresh_tokens(a.accountCode)
    assert error_of(refresh(emu, a, dead)) == (400, "invalid_grant")
    assert refresh(emu, b, alive).status_code == 200
    fresh = emu.oauth_refresh_token(a.accountCode)  # the person authorizes again
    assert refresh(emu, a, fresh).status_code == 200
    assert emu.oauth_refresh_count == 2


def test_grants_are_bound_to_their_account_and_must_be_well_formed(emu: Emulator) -> None:
    a, b = account(emu), account(emu, skip=1)
    rt = emu.oauth_refresh_token(a.accountCode)
    assert error_of(refresh(emu, b, rt)) == (400, "invalid_grant")  # another account's token
    assert error_of(refresh(emu, a, rt, account_code="nosuchaccount")) == (400, "invalid_grant")
    assert error_of(refresh(emu, a, rt, account_code=None)) == (400, "invalid_request")
    assert error_of(refresh(emu, a, rt, grant_type="password")) == (400, "unsupported_grant_type")
    in_path = token(emu, "euw1", f"/{b.accountCode}/oauth/token", grant_type="refresh_token", refresh_token=rt)
    assert error_of(in_path) == (401, "invalid_client"), "the client is checked before the grant"
    mixed = token(
        emu,
        "euw1",
        f"/{b.accountCode}/oauth/token",
        grant_type="refresh_token",
        refresh_token=rt,
        client_id=CLIENT,
        client_secret=SECRET,
    )
    assert error_of(mixed) == (400, "invalid_grant")
    both = token(emu, "euw1", f"/{b.accountCode}/oauth/token", account_code=a.accountCode, grant_type="refresh_token")
    assert error_of(both) == (400, "invalid_request")
    as_json = requests.post(
        emu.base_urls["euw1"] + "/oauth/token",
        json={"grant_type": "refresh_token", "refresh_token": rt, "client_id": CLIENT, "client_secret": SECRET},
        timeout=10,
    )
    assert error_of(as_json) == (400, "invalid_request")
    assert refresh(emu, a, rt).status_code == 200, "refused requests do not spend the token"
    assert emu.oauth_grants == ["refresh_token"]


def test_the_client_must_authenticate_as_registered(emu: Emulator) -> None:
    a = account(emu)
    rt = emu.oauth_refresh_token(a.accountCode)
    assert error_of(refresh(emu, a, rt, client_id="someone-else")) == (401, "invalid_client")
    assert error_of(refresh(emu, a, rt, client_secret=None)) == (401, "invalid_client")
    assert error_of(refresh(emu, a, rt, client_secret="wrong")) == (401, "invalid_client")
    assert refresh(emu, a, rt).status_code == 200


def test_a_public_client_sends_no_secret() -> None:
    with Emulator(n_accounts=4, seed=3) as e:
        e.enable_oauth(client_id=CLIENT, client_secret=None)
        a = account(e)
        rt = e.oauth_refresh_token(a.accountCode)
        assert error_of(refresh(e, a, rt)) == (401, "invalid_client")  # a secret sent anyway
        assert refresh(e, a, rt, client_secret=None).status_code == 200


def test_authorize_redirects_with_a_single_use_code_and_the_state(emu: Emulator) -> None:
    a = account(emu, "use1")
    r = authorize(emu, a)
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st+ate/1"] and len(query["code"]) == 1
    code = query["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT, "client_secret": SECRET}
    first = token(emu, "euw1", redirect_uri=REDIRECT, account_code=a.accountCode, **form)
    assert first.status_code == 200 and set(first.json()) == TOKEN_KEYS
    assert first.json()["api_domain"] == API_DOMAINS["use1"]
    again = token(emu, "euw1", redirect_uri=REDIRECT, account_code=a.accountCode, **form)
    assert error_of(again) == (400, "invalid_grant")
    assert refresh(emu, a, first.json()["refresh_token"]).status_code == 200, "the first refresh token works"
    assert emu.oauth_grants == ["authorization_code", "refresh_token"]
    assert {code, first.json()["access_token"], first.json()["refresh_token"]} <= set(emu.issued_tokens())


def test_a_code_is_bound_to_its_redirect_uri_client_and_account(emu: Emulator) -> None:
    a, b = account(emu), account(emu, skip=1)

    def code_for() -> str:
        return parse_qs(urlsplit(authorize(emu, a).headers["Location"]).query)["code"][0]

    base = {"grant_type": "authorization_code", "client_id": CLIENT, "client_secret": SECRET}
    wrong_uri = token(emu, code=code_for(), redirect_uri=REDIRECT + "x", account_code=a.accountCode, **base)
    assert error_of(wrong_uri) == (400, "invalid_grant")
    wrong_account = token(emu, code=code_for(), redirect_uri=REDIRECT, account_code=b.accountCode, **base)
    assert error_of(wrong_account) == (400, "invalid_grant")
    assert error_of(token(emu, code="made-up", redirect_uri=REDIRECT, account_code=a.accountCode, **base)) == (
        400,
        "invalid_grant",
    )
    assert emu.oauth_grants == []


def test_a_code_expires(emu: Emulator) -> None:
    a = account(emu)
    emu.oauth.code_ttl = 0.2  # 60 s by default
    code = parse_qs(urlsplit(authorize(emu, a).headers["Location"]).query)["code"][0]
    time.sleep(0.4)
    form = {"grant_type": "authorization_code", "client_id": CLIENT, "client_secret": SECRET}
    late = token(emu, code=code, redirect_uri=REDIRECT, account_code=a.accountCode, **form)
    assert error_of(late) == (400, "invalid_grant")


def test_authorize_refuses_a_bad_client_without_redirecting(emu: Emulator) -> None:
    a = account(emu)
    bad = authorize(emu, a, client_id="someone-else")
    assert bad.status_code == 400 and "Location" not in bad.headers
    assert authorize(emu, a, redirect_uri="not-a-uri").status_code == 400
    other = authorize(emu, a, response_type="token")
    assert other.status_code == 302
    assert parse_qs(urlsplit(other.headers["Location"]).query) == {
        "error": ["unsupported_response_type"],
        "state": ["st+ate/1"],
    }


def test_expired_and_unknown_bearer_tokens_answer_the_recorded_401s(emu: Emulator) -> None:
    a = account(emu)
    access = refresh(emu, a, emu.oauth_refresh_token(a.accountCode)).json()["access_token"]
    status, headers, body = recorded("vcr/client_error_invalid.json")
    r = bearer_get(emu, a, "INVALID_STUFF")  # the token the recording sent
    assert (r.status_code, r.text, r.headers["Message-Type"]) == (status, body, headers["Message-Type"])
    assert emu.requests[-1].auth == "bad"
    other = bearer_get(emu, account(emu, skip=1), access)  # issued for another account
    assert other.status_code == 401 and other.json() == {"response": f"Invalid instance token: {access}"}
    no_refs = bearer_get(emu, a, access, **{"brightpearl-app-ref": "other-app"})
    assert no_refs.status_code == 401 and no_refs.json()["response"].startswith("Invalid instance token")
    assert bearer_get(emu, a, access).status_code == 200
    emu.expire_access_tokens()
    status, headers, body = recorded("vcr/client_error_expired.json")
    r = bearer_get(emu, a, access)
    assert (r.status_code, r.text, r.headers["Message-Type"]) == (status, body, headers["Message-Type"])
    assert r.headers["Content-Type"] == headers["Content-Type"]
    assert emu.requests[-1].auth == "expired"
    fresh = emu.oauth_refresh_token(a.accountCode)
    assert bearer_get(emu, a, refresh(emu, a, fresh).json()["access_token"]).status_code == 200


def test_access_tokens_expire_after_their_lifetime() -> None:
    with Emulator(n_accounts=4, seed=3) as e:
        e.enable_oauth(client_id=CLIENT, client_secret=SECRET, access_ttl=0.5)
        a = account(e)
        answer = refresh(e, a, e.oauth_refresh_token(a.accountCode)).json()
        assert answer["expires_in"] == 1  # whole seconds, rounded up
        time.sleep(0.7)
        r = bearer_get(e, a, answer["access_token"])
        assert r.status_code == 401 and r.json() == {"response": "Authorization token expired"}


def test_signed_and_private_tokens_still_work_with_oauth_enabled(emu: Emulator) -> None:
    a = account(emu)
    url = f"{emu.base_urls[a.datacentre]}/public-api/{a.accountCode}/warehouse-service/warehouse"
    signed = {
        "brightpearl-dev-ref": emu.developer_reference,
        "brightpearl-app-ref": emu.app_reference,
        "brightpearl-account-token": sign(a.unsignedAccountToken, emu.developer_secret),
    }
    assert requests.get(url, headers=signed, timeout=10).status_code == 200
    emu.set_private_token(a.accountCode, "priv")
    private = {"brightpearl-app-ref": emu.app_reference, "brightpearl-account-token": "priv"}
    assert requests.get(url, headers=private, timeout=10).status_code == 200


def test_api_domain_can_be_made_hostile(emu: Emulator) -> None:
    a = account(emu, "usw1")
    emu.oauth_api_domain = "evil.example"
    assert refresh(emu, a, emu.oauth_refresh_token(a.accountCode)).json()["api_domain"] == "evil.example"


def test_token_requests_are_logged_without_their_form(emu: Emulator) -> None:
    a = account(emu)
    rt = emu.oauth_refresh_token(a.accountCode)
    answer = refresh(emu, a, rt).json()
    entry = emu.requests[-1]
    assert (entry.method, entry.path, entry.status, entry.grant_type) == ("POST", "/oauth/token", 200, "refresh_token")
    logged = repr(emu.requests)
    for secret in (rt, SECRET, answer["access_token"], answer["refresh_token"]):
        assert secret not in logged


def test_token_requests_count_in_the_throttle_and_take_scripted_faults() -> None:
    with Emulator(n_accounts=4, seed=3, throttle_quota=3) as e:
        e.enable_oauth(client_id=CLIENT, client_secret=SECRET)
        a = account(e)
        rt = e.oauth_refresh_token(a.accountCode)
        e.add_fault("oauth/token", "status", status=503)
        faulted = refresh(e, a, rt)  # counted in the window, like any faulted request
        assert faulted.status_code == 503 and faulted.content == b""
        ok = refresh(e, a, rt)  # the faulted request never reached the endpoint: rt is still live
        assert ok.status_code == 200 and ok.headers["brightpearl-requests-remaining"] == "1"
        assert refresh(e, a, ok.json()["refresh_token"]).status_code == 200
        assert refresh(e, a, "anything").status_code == 503 and e.throttled_count == 1
        assert e.oauth_refresh_count == 2


def test_oauth_is_off_until_enabled() -> None:
    with Emulator(n_accounts=3, seed=3) as e:
        a = account(e)
        assert token(e, grant_type="refresh_token", refresh_token="x").status_code == 404
        assert authorize(e, a).status_code == 404
        with pytest.raises(RuntimeError):
            e.oauth_refresh_token(a.accountCode)
        r = bearer_get(e, a, "some-token")  # a bearer token nobody issued
        assert r.status_code == 401 and r.json() == {"response": "Invalid instance token: some-token"}
        e.enable_oauth()
        with pytest.raises(KeyError):
            e.oauth_refresh_token("nosuchaccount")


def test_the_token_chain_knobs_delay_lie_about_lifetimes_and_die_after_retiring(emu: Emulator) -> None:
    """For tests of a client's chain: a slow answer, a bogus expires_in, a server that dies mid-refresh."""
    a = account(emu)
    first = emu.oauth_refresh_token(a.accountCode)
    assert emu.oauth.live_refresh_tokens(a.accountCode) == {first}
    emu.oauth.answer_delay, emu.oauth.expires_in = 0.5, 1e-6
    started = time.monotonic()
    answer = refresh(emu, a, first).json()
    assert time.monotonic() - started >= 0.5 and answer["expires_in"] == 1e-6
    second = answer["refresh_token"]
    assert emu.oauth.live_refresh_tokens(a.accountCode) == {second}, "the used token was retired"
    emu.oauth.answer_delay, emu.oauth.resets_after_retire = 0.0, 1
    with pytest.raises(requests.ConnectionError):
        refresh(emu, a, second)  # retired, then the connection is cut: the new token never arrives
    assert second not in emu.oauth.live_refresh_tokens(a.accountCode)
    assert error_of(refresh(emu, a, second)) == (400, "invalid_grant")
    assert emu.oauth.token_requests == 3 and emu.oauth_refresh_count == 2
