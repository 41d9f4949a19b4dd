"""The streams section `tap-brightpearl --about` adds to the SDK's: every stream, its key, replication and evidence."""

from __future__ import annotations

import json
import typing as t

from tap_brightpearl.catalog import ROWS
from tap_brightpearl.stream_list import DEVELOPER_TOOLS_STREAMS

CUSTOM = "one stream per custom_streams entry (see the README)"
DEVELOPER_EVIDENCE = {
    "installed_accounts": "documented: docs/installed_accounts.body.json",
    "account_timezones": "documented: Brightpearl's help article on developer-tools messages (no example body stored)",
}


def streams() -> list[dict[str, t.Any]]:
    """One row per built-in stream, in sync order."""
    rows = []
    for cls in DEVELOPER_TOOLS_STREAMS:
        key = getattr(cls, "replication_key", None)
        key = key if isinstance(key, str) else None  # the SDK's property on snapshot streams
        rows.append(
            {
                "name": cls.name,
                "key_properties": list(cls.primary_keys or ()),
                "replication": f"INCREMENTAL on {key}" if key else "FULL_TABLE",
                "kind": "developer tools",
                "deletes": False,
                "evidence": [DEVELOPER_EVIDENCE[cls.name]],
            }
        )
    for row in ROWS:
        rows.append(
            {
                "name": row.name,
                "key_properties": ["accountCode", *(k for k in row.key if k != "accountCode")],
                "replication": f"INCREMENTAL on {row.replication}" if row.replication else "FULL_TABLE",
                "kind": "account",
                "deletes": row.deletable,
                "evidence": [str(e) for e in row.evidence],
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
        lines = ["", "## Streams", "", "| Stream | Key | Replication | Kind | Evidence |", "|:--|:--|:--|:--|:--|"]
        for row in rows:
            deletes = "; deletes flagged" if row["deletes"] else ""
            key = ", ".join(row["key_properties"])
            evidence = "<br>".join(row["evidence"])
            lines.append(f"| {row['name']} | {key} | {row['replication']}{deletes} | {row['kind']} | {evidence} |")
        lines += ["", f"Plus {CUSTOM}."]
        return about.rstrip("\n") + "\n" + "\n".join(lines)
    lines = ["Streams:"]
    for row in rows:
        deletes = "; deletes flagged" if row["deletes"] else ""
        evidence = "; ".join(row["evidence"])
        lines.append(
            f"  - {row['name']}: key {', '.join(row['key_properties'])}; {row['replication']}{deletes} "
            f"({row['kind']}; {evidence})"
        )
    lines.append(f"  (plus {CUSTOM})")
    return about.rstrip("\n") + "\n" + "\n".join(lines)


def readme_table() -> str:
    """The README's stream table, made from the same rows as `--about` (tests/test_readme.py keeps them equal)."""
    lines = ["| stream | what | key | replication | evidence |", "|---|---|---|---|---|"]
    what = {row.name: row.description for row in ROWS}
    what |= {
        "installed_accounts": "every account that installed your app",
        "account_timezones": "each installed account's display timezone, read from its own datacentre",
    }
    for row in streams():
        key = ", ".join(f"`{k}`" for k in row["key_properties"])
        replication = (
            row["replication"].replace("INCREMENTAL on ", "incremental on `").replace("FULL_TABLE", "snapshot")
        )
        if replication.startswith("incremental"):
            replication += "`, per account" if row["kind"] == "account" else "`"
        if row["deletes"]:
            replication += "; deletes flagged"
        evidence = "; ".join(_short(e) for e in row["evidence"])
        lines.append(f"| `{row['name']}` | {what[row['name']]} | {key} | {replication} | {evidence} |")
    return "\n".join(lines)


def _short(evidence: str) -> str:
    """`documented: https://api-docs.brightpearl.com/order/...` as a link the table can hold."""
    kind, _, source = evidence.partition(": ")
    if source.startswith("http"):
        return f"{kind} ([page]({source}))"
    if source.endswith(".json"):
        return f"{kind} (`{source}`)"
    return f"{kind} ({source})"
