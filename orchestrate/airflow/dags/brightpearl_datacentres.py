"""Each shard starts knowing where its accounts live: the developer_tools task located them all.

developer_tools asks account-location for every installed account (account-timezone is served
from the account's own datacentre) and keeps the answers in its state, under
`bookmarks.account_timezones.dataCenters`. A shard without that map in its own state (its first
run, or the first after a new shard_count) would ask account-location again for each of its
accounts, at the same time as every other shard, and all of them on the developer's one pool at
euw1: on the Celery cluster four shards doing so were refused with 503 there. So before the
shards start, each shard's state gets its own accounts' datacentres merged in (`meltano state
merge` adds keys and keeps every other bookmark). The tap reads them as it reads what an earlier
run of its own learnt: an account that moved since is located again. (No DAG is defined here.)
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import zlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from brightpearl_meltano import ENVIRONMENT, MELTANO, PROJECT_DIR, state_id  # beside this file

__all__ = ["DEVELOPER_TOOLS_SUFFIX", "datacentres_of", "seed_shards", "shard_of"]
DEVELOPER_TOOLS_SUFFIX = "developer-tools"
_CODE = re.compile(r"[a-z][a-z0-9]{1,15}")  # a datacentre code (euw1, use1); anything else is not passed on
_TIMEOUT_S = 600
_LOG_TAIL = 2000


def shard_of(account_code: str, shard_count: int) -> int:
    """The tap's own rule (tap_brightpearl.modes.shard_of; a test holds the two equal)."""
    return zlib.crc32(account_code.encode("utf-8")) % shard_count


def datacentres_of(state: Any) -> dict[str, str]:
    """AccountCode -> datacentre code from a `meltano state get` answer; what does not fit is left out."""
    singer = state.get("singer_state") if isinstance(state, dict) else None
    bookmarks = singer.get("bookmarks") if isinstance(singer, dict) else None
    timezones = bookmarks.get("account_timezones") if isinstance(bookmarks, dict) else None
    found = timezones.get("dataCenters") if isinstance(timezones, dict) else None
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str) and _CODE.fullmatch(v)}


def seed_shards(shard_count: int, env: Mapping[str, str], log: Any) -> int:
    """Merge each shard's accounts' datacentres into its state; return how many accounts were passed on.

    Never fails the run: a shard that gets nothing locates its accounts itself (slower, and its
    account-location calls share the developer pool with the other shards), said in a WARNING.
    """
    source = state_id(DEVELOPER_TOOLS_SUFFIX)
    try:
        known = datacentres_of(json.loads(_meltano(["state", "get", source], env)))
    except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
        log.warning("Shards will locate their accounts themselves: reading state %s failed: %s", source, exc)
        return 0
    if not known:
        log.warning("Shards will locate their accounts themselves: state %s holds no datacentres", source)
        return 0
    parts: list[dict[str, str]] = [{} for _ in range(shard_count)]
    for account, code in known.items():
        parts[shard_of(account, shard_count)][account] = code
    with ThreadPoolExecutor(max_workers=min(4, shard_count)) as pool:  # one Meltano start-up each
        failed = [
            index
            for index, ok in enumerate(
                pool.map(lambda i: _merge(i, shard_count, parts[i], env, log), range(shard_count))
            )
            if not ok
        ]
    if failed:
        log.warning("Shards %s will locate their accounts themselves (see above)", ", ".join(map(str, failed)))
    log.info("Datacentres of %d accounts passed to %d shards", len(known), shard_count - len(failed))
    return sum(len(parts[i]) for i in range(shard_count) if i not in failed)


def _merge(index: int, shard_count: int, part: Mapping[str, str], env: Mapping[str, str], log: Any) -> bool:
    """`meltano state merge` one shard's map into its state id (a file: the map can be large)."""
    if not part:
        return True
    target = state_id(f"shard-{index}-of-{shard_count}")
    payload = {"singer_state": {"bookmarks": {"account_timezones": {"dataCenters": dict(sorted(part.items()))}}}}
    with tempfile.TemporaryDirectory(prefix="bp-datacentres-") as folder:
        path = Path(folder) / "state.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        try:
            _meltano(["state", "merge", target, "--input-file", str(path)], env)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            log.warning("Merging datacentres into state %s failed: %s", target, exc)
            return False
    return True


def _meltano(args: list[str], env: Mapping[str, str]) -> str:
    """One Meltano command in the project; its stdout, or RuntimeError with the end of its stderr."""
    argv = [MELTANO, "--environment", ENVIRONMENT, *args]
    proc = subprocess.run(  # noqa: S603 (no shell: MELTANO and fixed words)
        argv, cwd=PROJECT_DIR, env=dict(env), capture_output=True, text=True, check=False, timeout=_TIMEOUT_S
    )
    if proc.returncode != 0:
        raise RuntimeError(f"meltano {' '.join(args[:2])} exited with {proc.returncode}: {proc.stderr[-_LOG_TAIL:]}")
    return proc.stdout
