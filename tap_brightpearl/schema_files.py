"""The JSON schemas of the streams: `schemas/` shipped inside the wheel, or the repo's own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from singer_sdk.schema.source import SchemaDirectory


def _schema_dir() -> Path:
    """schemas/ inside the installed package, or the top-level schemas/ of a source checkout."""
    packaged = resources.files("tap_brightpearl") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "schemas"


SCHEMAS = SchemaDirectory(_schema_dir())
