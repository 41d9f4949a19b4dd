"""The sharded DAG on a real Airflow 3 cluster: CeleryExecutor, Redis broker, PostgreSQL metadata, two workers.

Not `airflow dags test`: an api-server, dag-processor, scheduler and two Celery workers (two slots
each), all processes this test starts and stops (tests/pipelines/airflow_cluster.py), run one
triggered run of `brightpearl_accounts_sharded` over 2,000 emulated accounts in 4 shards, into
PostgreSQL through Meltano and target-postgres, with Meltano's state in a PostgreSQL system
database the workers share (orchestrate/airflow/README.md, "Deploying with Celery").

Mid-run, one shard's tap is killed (SIGKILL) while it reads products, after its orders are done.
Airflow retries that task (the DAG's retry delay shortened by BRIGHTPEARL_RETRY_DELAY_SECONDS),
and the retry starts from that shard's saved bookmarks; the other shards run once. The emulator
enforces a rolling-window quota on every pool, and the run must never be refused (503) by it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tap_brightpearl.modes import shard_of
from tests.conftest import DEV_SECRET, DEV_TOKEN, SECRETS
from tests.emulator import Emulator
from tests.emulator.routes import pool_of, split_path
from tests.pipelines.airflow_cluster import (
    AirflowCluster,
    database_name,
    marked_pids,
    redis_ping,
    scratch_database,
    with_database,
)
from tests.pipelines.conftest import REPO, meltano_env, unavailable
from tests.pipelines.test_airflow import ACCOUNT_KEYS, SHARDED_DAG_ID, connections

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

ACCOUNTS = 2000
SHARDS = 4
KILLED = 2  # the shard whose tap is killed mid-run
# Brightpearl's 200 requests per rolling minute per pool, 30 times faster (tap and app share it).
QUOTA, WINDOW_S = 200, 2.0
STALL_S = 50.0  # the stalled request the kill interrupts (below the tap's 60 s request timeout)
RUN_TIMEOUT_S = 480.0
STATE_ID = "ci:tap-brightpearl-to-target-postgres"
REDIS_URL_ENV = "BRIGHTPEARL_TEST_REDIS_URL"


@pytest.fixture(scope="module")
def airflow3() -> Path:
    """Airflow 3 with the celery and postgres extras, from scripts/ensure_airflow.sh."""
    proc = subprocess.run(
        [str(REPO / "scripts" / "ensure_airflow.sh"), "3"], capture_output=True, text=True, timeout=1200, check=False
    )
    if proc.returncode != 0:
        unavailable(f"scripts/ensure_airflow.sh 3 failed: {proc.stderr[-1500:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def redis_url() -> str:
    """The broker: Redis at $BRIGHTPEARL_TEST_REDIS_URL or 127.0.0.1:6379 db 0 (keys under a prefix of the run)."""
    url = os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    reason = redis_ping(url)
    if reason:
        unavailable(f"{reason} ({REDIS_URL_ENV})")
    return url


@pytest.fixture
def meltano_db(pg_url: str) -> Iterator[str]:
    """Meltano's system database (state backend) for every worker: PostgreSQL, made for this test."""
    with scratch_database(pg_url, database_name("bp_meltano")) as name:
        yield name


def account_of(path: str) -> str | None:
    parts = split_path(path)
    return parts[1] if len(parts) > 2 and parts[0] == "public-api" else None


def tap_pids(cluster: AirflowCluster, shard: int) -> list[int]:
    """The running tap process of one shard's task (its environment names the shard)."""
    pids = []
    for pid in marked_pids(cluster.token):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        tap = any(a.endswith(b"/bin/tap-brightpearl") for a in argv) and b"--discover" not in argv
        if tap and f"TAP_BRIGHTPEARL_SHARD_INDEX={shard}".encode() in environ:
            pids.append(pid)
    return pids


def run_dag(cluster: AirflowCluster, emu: Emulator, run_id: str, stall_path: str) -> dict[str, Any]:
    """Trigger the run, kill shard KILLED's tap once its stalled request arrives, wait for the end."""
    cluster.wait("the DAG to be parsed", lambda: _parsed(cluster), timeout=180)
    conf = json.dumps({"shard_count": SHARDS})
    trigger = cluster.cli("dags", "trigger", SHARDED_DAG_ID, "--run-id", run_id, "--conf", conf)
    assert trigger.returncode == 0, trigger.stdout[-3000:]
    kill: dict[str, Any] = {}

    def finished() -> str | None:
        if not kill and any(stall_path in r.path for r in list(emu.requests)):
            pids = tap_pids(cluster, KILLED)
            if pids:
                kill.update(at=datetime.now(timezone.utc), index=len(emu.requests), pids=pids)
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
        rows = cluster.sql("select state from dag_run where run_id = %s", run_id)
        state = rows[0][0] if rows else None
        return state if state in ("success", "failed") else None

    state = cluster.wait(f"DAG run {run_id} to finish", finished, timeout=RUN_TIMEOUT_S, interval=0.5)
    tis = cluster.sql(
        "select task_id, map_index, state, try_number, hostname, start_date, end_date from task_instance"
        " where run_id = %s order by task_id, map_index",
        run_id,
    )
    history = cluster.sql(
        "select map_index, state, try_number, hostname, start_date, end_date from task_instance_history"
        " where run_id = %s and task_id = 'accounts_shard' order by map_index, try_number",
        run_id,
    )
    return {"state": state, "tis": tis, "history": history, "kill": kill}


def _parsed(cluster: AirflowCluster) -> bool:
    errors = cluster.sql("select filename, stacktrace from import_error")
    assert not errors, f"DAG import errors: {errors}"
    return bool(cluster.sql("select 1 from serialized_dag where dag_id = %s", SHARDED_DAG_ID))


def overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def task_logs(home: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted((home / "logs").rglob("*.log")))


def meltano_states(pg_url: str, database: str) -> dict[str, dict[str, Any]]:
    """Each state id's state as Meltano's system database holds it (completed, else partial)."""
    import psycopg

    def value(column: Any) -> dict[str, Any]:
        return (json.loads(column) if isinstance(column, str) else column) or {}

    with psycopg.connect(with_database(pg_url, database), autocommit=True) as conn:
        rows = conn.execute("select state_id, completed_state, partial_state from state").fetchall()
    return {sid: value(completed) or value(partial) for sid, completed, partial in rows}


def accounts_in_state(state: dict[str, Any]) -> set[str]:
    bookmarks = state.get("singer_state", state).get("bookmarks", {})
    return {p["context"]["accountCode"] for p in bookmarks.get("orders", {}).get("partitions", [])}


def test_sharded_dag_on_celery_cluster(
    airflow3: Path,
    redis_url: str,
    meltano_exe: Path,
    meltano_project: Path,
    pg_url: str,
    pg_schema: str,
    meltano_db: str,
    query: Any,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    emu = Emulator(
        n_accounts=ACCOUNTS,
        seed=21,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        throttle_quota=QUOTA,
        throttle_window=WINDOW_S,
        orders_per_account=5,
        products_per_account=2,
        contacts_per_account=2,
        warehouses_per_account=1,
    )
    enabled = sorted(a.accountCode for a in emu.accounts if a.enabled and not a.gone)
    shard = {code: shard_of(code, SHARDS) for code in enabled}
    killed_accounts = {c for c in enabled if shard[c] == KILLED}
    stalled = min(killed_accounts)
    # Shard KILLED's products read stalls on one account: its orders are done and their bookmarks sent.
    stall_path = f"/public-api/{stalled}/product-service/product-search"
    emu.add_fault(stall_path, "stall", delay=STALL_S)
    run_id = "celery-cluster-test"
    with emu:
        worker_env = {
            **connections(emu, pg_url, pg_schema),
            **meltano_env(meltano_project),  # the tests' copy of the project, never the checkout
            "MELTANO_BIN": str(meltano_exe),
            "BRIGHTPEARL_MELTANO_PROJECT_DIR": str(meltano_project),
            "BRIGHTPEARL_MELTANO_ENVIRONMENT": "ci",
            "MELTANO_DATABASE_URI": with_database(pg_url, meltano_db, "postgresql+psycopg"),
            "BRIGHTPEARL_RETRY_DELAY_SECONDS": "5",
        }
        dags = meltano_project / "orchestrate" / "airflow" / "dags"
        cluster = AirflowCluster(airflow3, tmp_path / "airflow", pg_url, redis_url, dags, worker_env)
        with cluster:
            up = time.monotonic()
            result = run_dag(cluster, emu, run_id, stall_path)
            done = time.monotonic()
            logs = task_logs(cluster.home) + cluster.tails(10**7)
        requests = list(emu.requests)
        served = {
            table: sorted((c, r[key]) for c in enabled for r in getattr(emu.account_data(c), table))
            for table, key in ACCOUNT_KEYS.items()
        }
        throttled = emu.throttled_count
    print(f"cluster up {up - started:.0f} s, DAG run {done - up:.0f} s, total {time.monotonic() - started:.0f} s")

    tis = {(t[0], t[1]): t[2:] for t in result["tis"]}
    assert result["state"] == "success", f"{result['tis']}\n{logs[-6000:]}"
    kill = result["kill"]
    assert kill, "the killed shard's stalled request never arrived, or its tap was not found"
    # The killed shard was retried by Airflow; every other task ran once.
    for index in range(SHARDS):
        state, tries = tis[("accounts_shard", index)][:2]
        assert (state, tries) == ("success", 2 if index == KILLED else 1), (index, result["tis"])
    for task_id in ("developer_tools", "account_tables", "pass_datacentres", "plan_shards"):
        assert tis[(task_id, -1)][:2] == ("success", 1), result["tis"]
    killed_try = [h for h in result["history"] if h[0] == KILLED and h[2] == 1]
    assert [h[1] for h in killed_try] == ["failed"], result["history"]

    # The shards' first tries ran at the same time, on both workers.
    first = {i: tis[("accounts_shard", i)][2:] for i in range(SHARDS) if i != KILLED}
    first[KILLED] = killed_try[0][3:]
    hosts = {i: host for i, (host, _, _) in first.items()}
    assert set(hosts.values()) == set(cluster.worker_names), hosts
    spans = {i: (start, end) for i, (_, start, end) in first.items()}
    assert any(overlap(spans[i], spans[j]) for i in spans for j in spans if hosts[i] != hosts[j]), spans

    # Every account's records loaded exactly once (upserts on the keys; lists, so duplicates would show).
    loaded = {
        table: sorted((r["accountCode"], r[key]) for r in query(f'select "accountCode", "{key}" from {table}'))
        for table, key in ACCOUNT_KEYS.items()
    }
    assert loaded == served
    assert sorted(r["accountCode"] for r in query('select "accountCode" from account_configuration')) == enabled
    assert len(query('select "accountCode" from installed_accounts')) == ACCOUNTS

    # The retry resumed from its own shard's bookmarks: every orders search after the kill filters on
    # updatedOn, and it re-read only the orders at each bookmark, not the whole shard.
    searches = Counter()
    for position, r in enumerate(requests):
        code = account_of(r.path)
        if code and "/order-service/order-search" in r.path:
            after = position >= kill["index"]
            searches[(code, after, "updatedOn=" in r.path)] += 1
    for code in enabled:
        if shard[code] == KILLED:
            assert searches[(code, False, False)] == 1 and searches[(code, True, True)] == 1, code
        else:  # untouched: one unfiltered read of its orders, nothing after
            assert searches[(code, False, False)] + searches[(code, True, False)] == 1, code
            assert not searches[(code, False, True)] and not searches[(code, True, True)], code
    reread = query(
        'select count(*) as n from orders where "accountCode" = any(%s) and _sdc_extracted_at > %s',
        sorted(killed_accounts),
        kill["at"],
    )[0]["n"]
    shard_orders = sum(1 for c, _ in served["orders"] if c in killed_accounts)
    assert 0 < reread < shard_orders / 2, (reread, shard_orders)

    # Each shard's state holds its own accounts' bookmarks: disjoint, all accounts between them.
    states = meltano_states(pg_url, meltano_db)
    owners = {i: accounts_in_state(states[f"{STATE_ID}:shard-{i}-of-{SHARDS}"]) for i in range(SHARDS)}
    for i, owned in owners.items():
        assert owned == {c for c in enabled if shard[c] == i}, i

    assert not any(s in logs for s in SECRETS), "a secret leaked into an Airflow or task log"

    # developer_tools located every account once; the shards were told where (pass_datacentres), not asking
    # again all at once on the developer's pool.
    located = Counter(r.path.rsplit("/", 1)[-1] for r in requests if "/account-location/" in r.path)
    assert located and max(located.values()) == 1, located.most_common(3)

    # No pool exceeded: the emulator refused nothing.
    sent = Counter(pool_of(r.datacentre, r.path) for r in requests)
    refused = Counter(pool_of(r.datacentre, r.path) for r in requests if r.status == 503)
    kinds = Counter(
        split_path(r.path)[2] if len(split_path(r.path)) > 2 else r.path for r in requests if r.status == 503
    )
    where = ", ".join(f"pool {pool}: {n} of {sent[pool]}" for pool, n in refused.most_common(5)) + f" {dict(kinds)}"
    assert throttled == 0, f"{throttled} requests refused with 503 ({where})"
