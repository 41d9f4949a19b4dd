"""meltano.yml (item 15): every setting that can hold a secret or a password is `sensitive: true`, so
Meltano masks it in `meltano config` output and stores it in .env, never in the project file."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import DEV_SECRET, DEV_TOKEN, SECRET_SETTINGS, SIGNED
from tests.hostile import forms

MELTANO_YML = Path(__file__).resolve().parents[2] / "meltano.yml"


def test_every_secret_setting_of_the_extractor_is_sensitive():
    from tap_brightpearl.tap import TapBrightpearl

    text = MELTANO_YML.read_text()
    project = yaml.safe_load(text)
    (tap,) = [p for p in project["plugins"]["extractors"] if p["name"] == "tap-brightpearl"]
    settings = {s["name"]: s for s in tap["settings"]}
    # The OAuth settings (client_secret, refresh_token) count once the tap or the project declares them.
    declared = set(TapBrightpearl.config_jsonschema["properties"]) | set(settings)
    wanted = [name for name in SECRET_SETTINGS if name in declared]
    assert {"developer_token", "developer_secret", "https_proxy"} <= set(wanted)
    missing = [name for name in wanted if name not in settings]
    assert not missing, f"secret settings the tap has but meltano.yml does not declare: {missing}"
    exposed = [name for name in wanted if settings[name].get("sensitive") is not True]
    assert not exposed, f"not sensitive: true in meltano.yml: {exposed}"
    for name in wanted:
        assert "value" not in settings[name], f"{name} has a value in the project file"
    for secret in (DEV_TOKEN, DEV_SECRET, SIGNED):
        assert not any(form in text for form in forms(secret)), "a test credential is in meltano.yml"
