"""The sharded DAG's account tables, made once before its shards start (no DAG is defined here).

target-postgres makes a table when a stream's SCHEMA message first arrives, after checking that
the table is missing. Shards start together, so on a first run (or after an upgrade adds a
column) two shards can both find a table missing and both create it, and one fails with
`relation "orders" already exists` (seen on the Celery cluster: an innocent shard retried). Here
one target-postgres receives the SCHEMA messages alone, from the tap's own catalog, and makes
every table and column before any shard starts; the shards then only write rows.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from typing import Any

from brightpearl_meltano import ENVIRONMENT, MELTANO, PROJECT_DIR  # beside this file

__all__ = ["create_tables", "schema_messages"]
LOG_TAIL = 4000


def schema_messages(catalog: Mapping[str, Any], streams: Iterable[str]) -> str:
    """One Singer SCHEMA line per stream, as the tap sends it when it syncs that stream."""
    by_id = {stream["tap_stream_id"]: stream for stream in catalog.get("streams", [])}
    wanted = list(streams)
    missing = [name for name in wanted if name not in by_id]
    if missing:
        raise ValueError(f"the tap's catalog has no stream {', '.join(missing)}")
    lines = []
    for name in wanted:
        stream = by_id[name]
        message: dict[str, Any] = {
            "type": "SCHEMA",
            "stream": name,
            "schema": stream["schema"],
            "key_properties": stream.get("key_properties") or [],
        }
        if stream.get("replication_key"):
            message["bookmark_properties"] = [stream["replication_key"]]
        lines.append(json.dumps(message))
    return "\n".join(lines) + "\n"


def create_tables(streams: Iterable[str], env: Mapping[str, str], log: Any) -> None:
    """`meltano invoke tap-brightpearl --discover`, then those streams' SCHEMA lines into target-postgres."""
    invoke = [MELTANO, "--environment", ENVIRONMENT, "invoke"]
    catalog = _run([*invoke, "tap-brightpearl", "--discover"], env, log, None)
    names = list(streams)
    _run([*invoke, "target-postgres"], env, log, schema_messages(json.loads(catalog), names))
    log.info("Tables ready for %s", ", ".join(names))


def _run(argv: list[str], env: Mapping[str, str], log: Any, stdin: str | None) -> str:
    """Run one Meltano command in the project; its log lines go to the task log, a failure raises."""
    proc = subprocess.run(  # noqa: S603 (no shell: MELTANO and fixed words)
        argv, cwd=PROJECT_DIR, env=dict(env), input=stdin, capture_output=True, text=True, check=False
    )
    for line in proc.stderr.splitlines():
        log.info("%s", line)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} exited with {proc.returncode}: {proc.stderr[-LOG_TAIL:]}")
    return proc.stdout
