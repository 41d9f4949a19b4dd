"""The streams section `tap-brightpearl --about` adds to the SDK's: every stream, its key and replication."""

from __future__ import annotations

import json
import typing as t

from tap_brightpearl.stream_list import ACCOUNT_STREAMS, DEVELOPER_TOOLS_STREAMS

CUSTOM = "one stream per custom_streams entry (see the README)"


def streams() -> list[dict[str, t.Any]]:
    """One row per built-in stream, in sync order."""
    rows = []
    for group, classes in (("developer tools", DEVELOPER_TOOLS_STREAMS), ("account", ACCOUNT_STREAMS)):
        for cls in classes:
            key = getattr(cls, "replication_key", None)
            key = key if isinstance(key, str) else None  # the SDK's property on snapshot streams
            rows.append(
                {
                    "name": cls.name,
                    "key_properties": list(cls.primary_keys or ()),
                    "replication": f"INCREMENTAL on {key}" if key else "FULL_TABLE",
                    "kind": group,
                    "deletes": bool(getattr(cls, "deletable", False)),
                }
            )
    return rows


def render(about: str, output_format: str | None) -> str:
    """The SDK's about text with the streams added, in the same format."""
    rows = streams()
    if output_format == "json":
        info = json.loads(about)
        info["streams"] = rows
        info["custom_streams"] = CUSTOM
        return json.dumps(info, indent=2)
    if output_format == "markdown":
        lines = ["", "## Streams", "", "| Stream | Key | Replication | Kind |", "|:--|:--|:--|:--|"]
        for row in rows:
            deletes = "; deletes flagged" if row["deletes"] else ""
            key = ", ".join(row["key_properties"])
            lines.append(f"| {row['name']} | {key} | {row['replication']}{deletes} | {row['kind']} |")
        lines += ["", f"Plus {CUSTOM}."]
        return about.rstrip("\n") + "\n" + "\n".join(lines)
    lines = ["Streams:"]
    for row in rows:
        deletes = "; deletes flagged" if row["deletes"] else ""
        lines.append(
            f"  - {row['name']}: key {', '.join(row['key_properties'])}; {row['replication']}{deletes} ({row['kind']})"
        )
    lines.append(f"  (plus {CUSTOM})")
    return about.rstrip("\n") + "\n" + "\n".join(lines)
