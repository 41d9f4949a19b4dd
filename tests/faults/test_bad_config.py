"""Bad configuration, beyond tests/test_settings.py: a secret pasted into the wrong setting, a bad
developer_token, a start_date that is not a date, negative budgets. Each stops at start-up with a line
naming the setting, at DEBUG, without echoing any secret.
"""

from __future__ import annotations

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.faults import DEBUG, assert_clean_text


def _config(**overrides):
    config = {
        "developer_reference": "devref",
        "developer_token": DEV_TOKEN,
        "developer_secret": DEV_SECRET,
        "app_reference": "app",
        "datacenter_urls": {"euw1": "http://127.0.0.1:9"},
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"data_center": DEV_SECRET}, "data_center"),
        ({"datacenter_urls": {"euw1": f"https://{DEV_TOKEN}.example.com:port"}}, "datacenter_urls['euw1']"),
        ({"start_date": DEV_SECRET}, "start_date"),
        ({"start_date": "2021-02-30T00:00:00Z"}, "start_date"),
        ({"developer_token": 123456789}, "developer_token"),
        ({"developer_token": None}, "developer_token"),
        ({"max_retries": -1}, "max_retries"),
    ],
    ids=[
        "secret-as-data_center",
        "token-in-bad-url",
        "secret-as-start_date",
        "impossible-start_date",
        "int-token",
        "missing-token",
        "negative-retries",
    ],
)
def test_bad_setting_stops_at_start_up_naming_it_without_echoing_a_secret(tap, overrides, named):
    run = tap(_config(**overrides), env=DEBUG)
    assert run.returncode == 1
    assert run.messages == [], "nothing may be synced with a bad setting"
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert any(named in line for line in errors), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert_clean_text(run.stderr + run.stdout, set(), "123456789", where="output")
