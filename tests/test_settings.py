"""Settings: the contract in --about, and start-up checks with one clear line each."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, SECRET_SETTINGS, TAP

CONTRACT = {
    "developer_reference",
    "developer_token",
    "developer_secret",
    "app_reference",
    "data_center",
    "datacenter_urls",
    "account_data_centers",
    "start_date",
    "max_concurrency",
    "request_timeout",
}


def test_about_lists_every_contract_setting_with_secrets_flagged():
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    settings = about["settings"]["properties"]
    assert set(settings) >= CONTRACT
    secrets = set(SECRET_SETTINGS)
    assert {k for k, v in settings.items() if v.get("secret")} == secrets
    for name in secrets:
        assert "pattern" not in settings[name] and "enum" not in settings[name]
    # The developer settings are required unless a private app gives account_code + a token:
    # checked at start-up (below), so the schema itself requires only app_reference.
    assert about["settings"]["required"] == ["app_reference"]
    assert settings["data_center"]["default"] == "euw1"
    assert {"state", "catalog", "discover", "about", "stream-maps"} <= set(about["capabilities"])


def _base(**overrides):
    config = {
        "developer_reference": "devref",
        "developer_token": DEV_TOKEN,
        "developer_secret": DEV_SECRET,
        "app_reference": "app",
    }
    config.update(overrides)
    return config


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"data_center": "mars1"}, "data_center 'mars1' is not a known datacentre code; valid codes: euw1, use1, usw1"),
        ({"datacenter_urls": {"euw1": "http://ws-eu1.example.com"}}, "plain http is allowed only for loopback"),
        ({"datacenter_urls": {"euw1": "ht!tp:/nonsense"}}, "datacenter_urls['euw1']"),
        ({"datacenter_urls": {"euw1": "https://host:notaport"}}, "datacenter_urls['euw1'] is not a valid URL"),
        ({"max_concurrency": 0}, "max_concurrency: 0 is less than the minimum of 1"),
        ({"account_data_centers": {"acme": "moon9"}}, "account_data_centers['acme'] 'moon9' is not a known"),
    ],
)
def test_bad_settings_stop_at_start_up_naming_the_setting(tap, overrides, expected):
    run = tap(_base(**overrides))
    assert run.returncode == 1
    assert expected in run.stderr
    assert run.messages == []
    run.assert_no_secrets()


@pytest.mark.parametrize("missing", ["developer_reference", "developer_token", "developer_secret"])
def test_a_public_app_needs_the_developer_settings(tap, missing):
    config = _base()
    del config[missing]
    run = tap(config)
    assert run.returncode == 1
    hint = "required (or, for a private app, set account_code with account_token or staff_token)"
    assert f"{missing}: {hint}" in run.stderr
    run.assert_no_secrets()


def test_a_private_app_needs_a_token_not_the_developer_settings(tap):
    run = tap({"app_reference": "app", "account_code": "acme"})
    assert run.returncode == 1
    assert "account_token: required with account_code" in run.stderr
    assert "developer_token" not in run.stderr


def test_missing_required_setting_is_named(tap):
    config = _base()
    del config["app_reference"]
    run = tap(config)
    assert run.returncode == 1 and "'app_reference' is a required property" in run.stderr


@pytest.mark.parametrize("bad_secret", [1234567890123, ["sec-in-a-list-9876"], "abc"])
def test_a_malformed_secret_is_named_but_never_echoed(tap, bad_secret):
    run = tap(_base(developer_secret=bad_secret))
    assert run.returncode == 1
    assert "developer_secret" in run.stderr
    shown = json.dumps(bad_secret).strip('"[]')
    assert shown not in run.stderr
    run.assert_no_secrets()


def test_loopback_http_is_accepted(emulator, tap):
    assert all(url.startswith("http://127.0.0.1") for url in emulator.base_urls.values())
    assert tap(emulator.tap_config()).returncode == 0
