"""meltano.yml stays in step with the tap: same settings, secrets marked, offline-installable.

Cheap (no meltano needed), so drift is caught by every test run, not only the pipeline ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tap_brightpearl.tap import TapBrightpearl

REPO = Path(__file__).resolve().parents[2]


def project() -> dict[str, Any]:
    """The parsed meltano.yml."""
    return yaml.safe_load((REPO / "meltano.yml").read_text(encoding="utf-8"))


def plugin(kind: str, name: str) -> dict[str, Any]:
    """One plugin's declaration."""
    [found] = [p for p in project()["plugins"][kind] if p["name"] == name]
    return found


def test_extractor_declares_exactly_the_tap_settings_with_secrets_sensitive() -> None:
    tap = plugin("extractors", "tap-brightpearl")
    declared = {s["name"]: s for s in tap["settings"]}
    # The SDK adds its own settings (stream maps, flattening, batch) to the class schema once a
    # tap has been built in this process; those are the SDK's, and Meltano knows them itself.
    builtin: dict = {"properties": {}}
    TapBrightpearl.append_builtin_config(builtin)
    schema = {k: v for k, v in TapBrightpearl.config_jsonschema["properties"].items() if k not in builtin["properties"]}
    assert set(declared) == set(schema)
    for name, prop in schema.items():
        assert "kind" in declared[name], name
        assert bool(declared[name].get("sensitive")) == bool(prop.get("secret")), name
    assert tap["namespace"] == "tap_brightpearl"
    assert tap["executable"] == "tap-brightpearl"
    assert {"state", "catalog", "discover", "about", "stream-maps"} <= set(tap["capabilities"])


def test_every_plugin_installs_from_the_package_index_alone() -> None:
    for kind in ("extractors", "loaders"):
        for declared in project()["plugins"][kind]:
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
