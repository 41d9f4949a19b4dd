"""The example DAGs under real Apache Airflow 2.10 and 3.x: they import with each version's own
API, and `airflow dags test` runs load the emulator's data into PostgreSQL through Meltano.

Each Airflow lives in its own virtualenv (it pins half of PyPI) made by scripts/ensure_airflow.sh
and cached under ~/.cache/tap-brightpearl, with one SQLite-backed AIRFLOW_HOME per test session.
Settings reach the tasks the way the DAGs document: Airflow connections given as AIRFLOW_CONN_*
variables, never in a DAG file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, SECRETS
from tests.emulator import Emulator
from tests.pipelines.conftest import REPO, meltano_env, unavailable

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

DAGS = REPO / "orchestrate" / "airflow" / "dags"
DAG_ID = "brightpearl_to_postgres"
SHARDED_DAG_ID = "brightpearl_accounts_sharded"
STATE_ID = "ci:tap-brightpearl-to-target-postgres"
ACCOUNT_KEYS = {"orders": "id", "products": "id", "contacts": "contactId", "warehouses": "id"}
# Where each major version's BashOperator comes from: the proof that the compat block picked its imports.
BASH_MODULE = {"2": "airflow.operators.bash", "3": "airflow.providers.standard.operators.bash"}


@dataclass
class Airflow:
    """One installed Airflow with its own migrated AIRFLOW_HOME."""

    major: str
    venv: Path
    env: dict[str, str]

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the `airflow` CLI, output and errors together (the task logs are in there)."""
        return self.run([str(self.venv / "bin" / "airflow"), *args], env)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        """Run Python code in Airflow's own interpreter."""
        return self.run([str(self.venv / "bin" / "python"), "-c", code], None)

    def run(self, argv: list[str], env: dict[str, str] | None) -> subprocess.CompletedProcess[str]:
        """A subprocess in AIRFLOW_HOME with this installation's environment."""
        return subprocess.run(
            argv,
            env={**os.environ, **self.env, **(env or {})},
            cwd=self.env["AIRFLOW_HOME"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
            check=False,
        )

    def task_instances(self, dag_id: str) -> list[tuple[str, int, str, str | None]]:
        """(task_id, map_index, state, rendered_map_index) of every task instance of `dag_id`."""
        with sqlite3.connect(Path(self.env["AIRFLOW_HOME"]) / "airflow.db") as db:
            rows = db.execute(
                "select task_id, map_index, state, rendered_map_index from task_instance where dag_id = ?"
                " order by task_id, map_index",
                (dag_id,),
            )
            return list(rows)


@pytest.fixture(scope="session", params=["2", "3"], ids=["airflow2", "airflow3"])
def airflow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    """Airflow `major` from its cached venv, with a fresh SQLite metadata DB for this session."""
    major = request.param
    proc = subprocess.run(
        [str(REPO / "scripts" / "ensure_airflow.sh"), major], capture_output=True, text=True, timeout=1200, check=False
    )
    if proc.returncode != 0:
        unavailable(f"scripts/ensure_airflow.sh {major} failed: {proc.stderr[-1500:]}")
    home = tmp_path_factory.mktemp(f"airflow{major}")
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "PYTHONWARNINGS": "ignore",
    }
    installed = Airflow(major, Path(proc.stdout.strip().splitlines()[-1]), env)
    version = installed("version")
    assert version.stdout.strip().splitlines()[-1].startswith(f"{major}."), version.stdout[-2000:]
    migrate = installed("db", "migrate")
    assert migrate.returncode == 0, migrate.stdout[-3000:]
    return installed


def connections(emu: Emulator, pg_url: str, pg_schema: str) -> dict[str, str]:
    """The two Airflow connections the DAGs read, as AIRFLOW_CONN_* JSON variables."""
    config = emu.tap_config()
    pg = urlsplit(pg_url)
    api = {
        "conn_type": "generic",
        "login": config.pop("developer_reference"),
        "password": config.pop("developer_token"),
        "extra": config,  # developer_secret, app_reference, data_center, datacenter_urls
    }
    warehouse = {
        "conn_type": "postgres",
        "host": pg.hostname,
        "port": pg.port or 5432,
        "login": pg.username or "postgres",
        "password": pg.password or "",
        "schema": pg.path.lstrip("/"),
        "extra": {"target_schema": pg_schema},
    }
    return {
        "AIRFLOW_CONN_BRIGHTPEARL_API": json.dumps(api),
        "AIRFLOW_CONN_BRIGHTPEARL_WAREHOUSE": json.dumps(warehouse),
    }


def worker_env(meltano_bin: Path, project: Path, meltano_db: Path) -> dict[str, str]:
    """What a deployment sets on the workers: where Meltano and the project are, its environment and state backend.

    The project is the tests' copy (tests/pipelines/conftest.py: meltano_project), never the checkout.
    """
    return {
        "MELTANO_BIN": str(meltano_bin),
        "BRIGHTPEARL_MELTANO_PROJECT_DIR": str(project),
        "BRIGHTPEARL_MELTANO_ENVIRONMENT": "ci",
        "MELTANO_DATABASE_URI": f"sqlite:///{meltano_db}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def assert_no_secrets(output: str) -> None:
    """No developer token, secret or signed token in anything Airflow or Meltano printed."""
    for secret in SECRETS:
        assert secret not in output, "a secret leaked into the Airflow task log"


PROBE = """
import importlib, json, sys, warnings
import airflow
sys.path.insert(0, DAGS)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    shared = importlib.import_module("brightpearl_meltano")
    importlib.import_module("brightpearl_pipeline")
    importlib.import_module("brightpearl_sharded")
from airflow.models import DagBag
bag = DagBag(dag_folder=DAGS)
def describe(dag):
    return {"catchup": dag.catchup, "max_active_runs": dag.max_active_runs, "params": dict(dag.params),
            "tasks": {t.task_id: {"type": type(t).__name__, "up": sorted(t.upstream_task_ids), "retries": t.retries,
                                  "retry_delay": t.retry_delay.total_seconds(), "cwd": getattr(t, "cwd", None),
                                  "command": getattr(t, "bash_command", None), "env": getattr(t, "env", None)}
                      for t in dag.tasks}}
print("PROBE" + json.dumps({
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught if "Deprecat" in w.category.__name__],
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "bash_module": shared.BashOperator.__module__,
    "dags": {dag_id: describe(dag) for dag_id, dag in bag.dags.items()},
}, default=str))
"""


def test_dags_import_with_each_versions_own_api(airflow: Airflow) -> None:
    proc = airflow.python(f"DAGS = {str(DAGS)!r}\n{PROBE}")
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, proc.stdout[-5000:]
    probe = json.loads(line[len("PROBE") :])
    assert probe["errors"] == {}
    assert probe["warnings"] == [], "a DAG file uses an import this Airflow version deprecates"
    assert probe["bash_module"] == BASH_MODULE[airflow.major]
    assert sorted(probe["dags"]) == [SHARDED_DAG_ID, DAG_ID]
    for dag in probe["dags"].values():
        assert dag["catchup"] is False and dag["max_active_runs"] == 1
        assert all(t["retries"] >= 1 for t in dag["tasks"].values())
        # What users get: the first retry after 5 minutes (only the Celery test shortens it, by env var).
        assert {t["retry_delay"] for t in dag["tasks"].values()} == {300.0}
    daily = probe["dags"][DAG_ID]["tasks"]["meltano_run_tap_brightpearl_target_postgres"]
    assert Path(daily["cwd"]) == REPO
    # `meltano el` with the state id `meltano run` would name (each run in a folder of its own).
    assert "el tap-brightpearl target-postgres --state-id prod:tap-brightpearl-to-target-postgres" in daily["command"]
    sharded = probe["dags"][SHARDED_DAG_ID]
    assert {k: (v["type"], v["up"]) for k, v in sharded["tasks"].items()} == {
        "developer_tools": ("MeltanoRunOperator", []),
        "account_tables": ("_PythonDecoratedOperator", ["developer_tools"]),
        "pass_datacentres": ("_PythonDecoratedOperator", ["developer_tools"]),
        "plan_shards": ("_PythonDecoratedOperator", ["account_tables", "pass_datacentres"]),
        "accounts_shard": ("MappedOperator", ["plan_shards"]),
    }
    assert json.loads(sharded["tasks"]["developer_tools"]["env"]["TAP_BRIGHTPEARL__SELECT"]) == [
        "installed_accounts.*",
        "account_timezones.*",
    ]
    assert sharded["params"]["shard_count"] == 4
    dag_source = "".join(p.read_text() for p in DAGS.glob("*.py"))
    assert not any(s in dag_source for s in SECRETS)


RETRY_PROBE = """
import json, sys
sys.path.insert(0, DAGS)  # as the dag-processor does
from airflow.models import DagBag
bag = DagBag(dag_folder=DAGS)  # examples are off (AIRFLOW__CORE__LOAD_EXAMPLES)
print("RETRY" + json.dumps({
    "errors": [str(e) for e in bag.import_errors.values()],
    "delays": sorted({t.retry_delay.total_seconds() for dag in bag.dags.values() for t in dag.tasks}),
}))
"""


def test_retry_delay_comes_from_the_environment(airflow: Airflow) -> None:
    def probe(value: str) -> dict[str, Any]:
        code = f"DAGS = {str(DAGS)!r}\n{RETRY_PROBE}"
        proc = airflow.run(
            [str(airflow.venv / "bin" / "python"), "-c", code], {"BRIGHTPEARL_RETRY_DELAY_SECONDS": value}
        )
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RETRY")), None)
        assert line, proc.stdout[-5000:]
        return json.loads(line[len("RETRY") :])

    assert probe("7.5") == {"errors": [], "delays": [7.5]}
    refused = probe("soon")
    assert refused["delays"] == []
    assert refused["errors"] and all(
        "BRIGHTPEARL_RETRY_DELAY_SECONDS='soon' is not a number of seconds" in e for e in refused["errors"]
    )


def test_daily_dag_run_loads_postgres(
    pg_url: str, airflow: Airflow, meltano_bin: Path, meltano_project: Path, pg_schema: str, query: Any, tmp_path: Path
) -> None:
    with Emulator(n_accounts=15, seed=5, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        env = {
            **connections(emu, pg_url, pg_schema),
            **worker_env(meltano_bin, meltano_project, tmp_path / "meltano.db"),
        }
        result = airflow("dags", "test", DAG_ID, "2024-06-01", env=env)
        output = result.stdout
        assert result.returncode == 0, output[-5000:]
        assert "Settings from connections: brightpearl_api, brightpearl_warehouse" in output
        assert "Environment 'ci' is active" in output  # meltano's own log, relayed by the task
        assert_no_secrets(output)
        installed = query("select * from installed_accounts")
        zones = query("select * from account_timezones")
        expected = {a.accountCode: a for a in emu.accounts}
    assert [s for _, _, s, _ in airflow.task_instances(DAG_ID)] == ["success"]
    assert sorted(r["accountCode"] for r in installed) == sorted(expected)
    assert sorted(r["accountCode"] for r in zones) == sorted(expected)
    for row in installed:
        assert row["unsignedAccountToken"] == expected[row["accountCode"]].unsignedAccountToken
        assert row["enabled"] is expected[row["accountCode"]].enabled
    for row in zones:
        acc = expected[row["accountCode"]]
        assert (row["canonicalId"], row["currentUtcOffset"], row["dataCenter"]) == (
            acc.canonicalId,
            acc.currentUtcOffset,
            acc.datacentre,
        )


def meltano_state(meltano_bin: Path, project: Path, meltano_db: Path, *args: str) -> str:
    """`meltano state ARGS` against the state backend the DAG run used."""
    proc = subprocess.run(
        [str(meltano_bin), "--environment", "ci", "state", *args],
        cwd=project,
        env={**os.environ, **meltano_env(project), "MELTANO_DATABASE_URI": f"sqlite:///{meltano_db}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def accounts_in_state(state: dict[str, Any]) -> set[str]:
    """The accounts whose bookmarks a shard's state holds (one partition per account and stream)."""
    bookmarks = state.get("singer_state", state).get("bookmarks", {})
    return {
        p["context"]["accountCode"]
        for stream in ("orders", "products", "contacts")
        for p in bookmarks.get(stream, {}).get("partitions", [])
    }


def test_sharded_dag_maps_one_task_per_shard_each_with_its_own_state(
    pg_url: str, airflow: Airflow, meltano_bin: Path, meltano_project: Path, pg_schema: str, query: Any, tmp_path: Path
) -> None:
    shards = 2
    meltano_db = tmp_path / "meltano.db"
    with Emulator(n_accounts=8, seed=6, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        env = {
            **connections(emu, pg_url, pg_schema),
            **worker_env(meltano_bin, meltano_project, meltano_db),
            # Append, never merge: an account read by two shards would show up as duplicate rows.
            "TARGET_POSTGRES_LOAD_METHOD": "append-only",
        }
        conf = json.dumps({"shard_count": shards})  # the param, at run time (the default is 4)
        result = airflow("dags", "test", SHARDED_DAG_ID, "2024-06-01", "--conf", conf, env=env)
        assert result.returncode == 0, result.stdout[-5000:]
        assert "Tables ready for orders, products, contacts, warehouses, account_configuration" in result.stdout
        assert_no_secrets(result.stdout)
        enabled = {a.accountCode for a in emu.accounts if a.enabled and not a.gone}
        every = {a.accountCode for a in emu.accounts}
        served = {
            table: sorted((c, r[key]) for c in enabled for r in getattr(emu.account_data(c), table))
            for table, key in ACCOUNT_KEYS.items()
        }
        loaded = {
            table: sorted((r["accountCode"], r[key]) for r in query(f'select "accountCode", "{key}" from {table}'))
            for table, key in ACCOUNT_KEYS.items()
        }
        configs = sorted(r["accountCode"] for r in query('select "accountCode" from account_configuration'))
        installed = {r["accountCode"] for r in query("select * from installed_accounts")}
        located = Counter(r.path.rsplit("/", 1)[-1] for r in emu.requests if "/account-location/" in r.path)

    assert airflow.task_instances(SHARDED_DAG_ID) == [
        ("account_tables", -1, "success", None),
        ("accounts_shard", 0, "success", f"shard 0 of {shards}"),
        ("accounts_shard", 1, "success", f"shard 1 of {shards}"),
        ("developer_tools", -1, "success", None),
        ("pass_datacentres", -1, "success", None),
        ("plan_shards", -1, "success", None),
    ]
    assert installed == every
    # developer_tools located each account; the shards were told (pass_datacentres), and asked again for none.
    assert located and max(located.values()) == 1, located.most_common(3)
    # Sorted lists, not sets: every enabled account's records, each exactly once across the shards.
    assert loaded == served
    assert configs == sorted(enabled)

    suffixes = ["developer-tools", *(f"shard-{i}-of-{shards}" for i in range(shards))]
    state_ids = meltano_state(meltano_bin, meltano_project, meltano_db, "list").split()
    assert sorted(state_ids) == sorted(f"{STATE_ID}:{s}" for s in suffixes)
    owners = [
        accounts_in_state(
            json.loads(
                meltano_state(meltano_bin, meltano_project, meltano_db, "get", f"{STATE_ID}:shard-{i}-of-{shards}")
            )
        )
        for i in range(shards)
    ]
    assert all(owners), f"a shard read no account: {owners}"
    assert sum(len(o) for o in owners) == len(enabled) and set().union(*owners) == enabled
