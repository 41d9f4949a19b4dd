"""meltano.yml stays in step with the tap: same settings, secrets marked, offline-installable.

Cheap (no meltano needed), so drift is caught by every test run, not only the pipeline ones.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_brightpearl.tap import TapBrightpearl
from tests.conftest import SECRET_SETTINGS, TAP

REPO = Path(__file__).resolve().parents[2]


def project() -> dict[str, Any]:
    """The parsed meltano.yml."""
    return yaml.safe_load((REPO / "meltano.yml").read_text(encoding="utf-8"))


def plugin(kind: str, name: str) -> dict[str, Any]:
    """One plugin's declaration."""
    [found] = [p for p in project()["plugins"][kind] if p["name"] == name]
    return found


def about_settings() -> dict[str, Any]:
    """The tap's own settings as `tap-brightpearl --about` prints them (the SDK's built-ins left out)."""
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    builtin: dict = {"properties": {}}
    TapBrightpearl.append_builtin_config(builtin)
    return {k: v for k, v in about["settings"]["properties"].items() if k not in builtin["properties"]}


def meltano_kind(prop: dict[str, Any]) -> str:
    """The Meltano kind that round-trips every valid value of a setting.

    Numbers that take fractions are `string`: Meltano 4.4's `decimal` kind cannot write an
    environment value into the tap's config, and the tap reads "0.5" as 0.5.
    """
    types = prop.get("type", "string")
    types = {types} if isinstance(types, str) else set(types) - {"null"}
    if prop.get("format") == "date-time":
        return "date_iso8601"
    for json_type, kind in (("integer", "integer"), ("boolean", "boolean"), ("object", "object"), ("array", "array")):
        if json_type in types:
            return kind
    return "string"


@pytest.mark.parametrize("where", ["meltano.yml", "meltano-hub/tap-brightpearl.yml"])
def test_plugin_definitions_match_about_names_kinds_defaults_and_secrets(where: str) -> None:
    text = (REPO / where).read_text(encoding="utf-8")
    definition = plugin("extractors", "tap-brightpearl") if where == "meltano.yml" else yaml.safe_load(text)
    declared = {s["name"]: s for s in definition["settings"]}
    schema = about_settings()
    assert set(declared) == set(schema)
    for name, prop in schema.items():
        assert declared[name]["kind"] == meltano_kind(prop), name
        assert bool(declared[name].get("sensitive")) == bool(prop.get("secret")), name
        assert declared[name].get("value") == prop.get("default"), f"{name}: default differs from --about"
        assert declared[name].get("description"), name
    assert definition["namespace"] == "tap_brightpearl"
    assert definition["select"] == ["installed_accounts.*", "account_timezones.*"]


def test_every_setting_that_can_hold_a_password_is_sensitive() -> None:
    declared = {s["name"]: s for s in plugin("extractors", "tap-brightpearl")["settings"]}
    for name in SECRET_SETTINGS:
        assert declared[name].get("sensitive") is True, name


def test_extractor_basics() -> None:
    tap = plugin("extractors", "tap-brightpearl")
    assert tap["namespace"] == "tap_brightpearl"
    assert tap["executable"] == "tap-brightpearl"
    assert {"state", "catalog", "discover", "about", "stream-maps"} <= set(tap["capabilities"])


def test_every_plugin_installs_from_the_package_index_alone() -> None:
    for kind in ("extractors", "loaders"):
        for declared in project()["plugins"][kind]:
            if "inherit_from" in declared:  # tap-brightpearl-account: the same plugin, other selection
                assert declared["inherit_from"] in {p["name"] for p in project()["plugins"][kind]}
                continue
            assert {"namespace", "pip_url", "executable", "settings"} <= set(declared), declared["name"]
            assert "git+" not in declared["pip_url"] and "://" not in declared["pip_url"]
    assert plugin("loaders", "target-postgres")["pip_url"] == "meltanolabs-target-postgres==0.8.1"
    password = next(s for s in plugin("loaders", "target-postgres")["settings"] if s["name"] == "password")
    assert password["sensitive"] is True


def test_environments_and_daily_schedule() -> None:
    meltano = project()
    assert {e["name"] for e in meltano["environments"]} == {"dev", "ci", "prod"}
    [schedule] = meltano["schedules"]
    assert schedule["interval"] == "@daily"
    [job] = [j for j in meltano["jobs"] if j["name"] == schedule["job"]]
    assert job["tasks"] == ["tap-brightpearl target-postgres"]
