"""The example DAG under real Apache Airflow: it imports cleanly and one `airflow dags test`
run loads the emulator's accounts into PostgreSQL.

Airflow lives in its own virtualenv (it pins half of PyPI), cached under
~/.cache/tap-brightpearl so reruns take seconds. Settings reach the task the way the DAG
documents: Airflow connections given as AIRFLOW_CONN_* variables, never in the DAG file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, SECRETS
from tests.emulator import Emulator
from tests.pipelines.conftest import CACHE, REPO, unavailable

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

AIRFLOW_VERSION = "2.10.5"
DAGS = REPO / "orchestrate" / "airflow" / "dags"
DAG_ID = "brightpearl_to_postgres"
SHARDED_DAG_ID = "brightpearl_accounts_sharded"


def find_uv() -> str | None:
    """uv on PATH, else the one that ships inside Meltano's venv."""
    return shutil.which("uv") or next((str(p) for p in CACHE.glob("meltano-*/bin/uv") if p.exists()), None)


@pytest.fixture(scope="session")
def airflow_venv() -> Path:
    """A cached virtualenv with apache-airflow installed; built once."""
    venv = CACHE / f"airflow-{AIRFLOW_VERSION}"
    airflow = venv / "bin" / "airflow"
    if airflow.exists():
        return venv
    uv = find_uv()
    if uv is None:
        unavailable("uv is needed to build the Airflow virtualenv (scripts/ensure_meltano.sh installs it)")
    assert uv is not None
    python = shutil.which("python3.11") or sys.executable
    steps = [
        [uv, "venv", "--quiet", "--allow-existing", "--python", python, str(venv)],
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            f"apache-airflow=={AIRFLOW_VERSION}",
        ],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            unavailable(f"could not install apache-airflow=={AIRFLOW_VERSION}: {proc.stderr[-1500:]}")
    return venv


@pytest.fixture
def airflow_env(tmp_path: Path) -> dict[str, str]:
    """A private AIRFLOW_HOME on SQLite with only this project's DAGs."""
    home = tmp_path / "airflow"
    home.mkdir()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "PYTHONWARNINGS": "ignore",
    }


def airflow(venv: Path, env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the `airflow` CLI of the cached venv."""
    return subprocess.run(
        [str(venv / "bin" / "airflow"), *args],
        env={**os.environ, **env},
        cwd=env["AIRFLOW_HOME"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


DAGBAG_PROBE = """
import json
from airflow.models import DagBag
bag = DagBag(include_examples=False)
dag = bag.dags.get("__DAG_ID__")
task = dag.tasks[0] if dag else None
print("PROBE" + json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": sorted(bag.dag_ids),
    "catchup": dag.catchup if dag else None,
    "max_active_runs": dag.max_active_runs if dag else None,
    "retries": task.retries if task else None,
    "retry_delay_s": task.retry_delay.total_seconds() if task else None,
    "cwd": getattr(task, "cwd", None),
    "command": getattr(task, "bash_command", None),
}))
""".replace("__DAG_ID__", DAG_ID)


def test_dag_imports_and_one_run_loads_postgres(
    airflow_venv: Path,
    airflow_env: dict[str, str],
    meltano_bin: Path,
    pg_url: str,
    pg_schema: str,
    query: Any,
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        [str(airflow_venv / "bin" / "python"), "-c", DAGBAG_PROBE],
        env={**os.environ, **airflow_env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, proc.stdout + proc.stderr
    probe = json.loads(line[len("PROBE") :])
    assert probe["errors"] == {}
    assert probe["dags"] == sorted([DAG_ID, SHARDED_DAG_ID])
    assert probe["catchup"] is False
    assert probe["max_active_runs"] == 1
    assert probe["retries"] >= 1 and probe["retry_delay_s"] > 0
    assert Path(probe["cwd"]) == REPO
    assert "run tap-brightpearl target-postgres" in probe["command"]
    dag_source = "".join(p.read_text() for p in DAGS.glob("*.py"))
    assert not any(s in dag_source for s in SECRETS)

    migrate = airflow(airflow_venv, airflow_env, "db", "migrate")
    assert migrate.returncode == 0, migrate.stdout[-3000:]

    pg = urlsplit(pg_url)
    with Emulator(n_accounts=15, seed=5, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        config = emu.tap_config()
        api_conn = {
            "conn_type": "generic",
            "login": config.pop("developer_reference"),
            "password": config.pop("developer_token"),
            "extra": config,  # developer_secret, app_reference, data_center, datacenter_urls
        }
        warehouse_conn = {
            "conn_type": "postgres",
            "host": pg.hostname,
            "port": pg.port or 5432,
            "login": pg.username or "postgres",
            "password": pg.password or "",
            "schema": pg.path.lstrip("/"),
            "extra": {"target_schema": pg_schema},
        }
        run_env = {
            **airflow_env,
            "AIRFLOW_CONN_BRIGHTPEARL_API": json.dumps(api_conn),
            "AIRFLOW_CONN_BRIGHTPEARL_WAREHOUSE": json.dumps(warehouse_conn),
            "MELTANO_BIN": str(meltano_bin),
            "BRIGHTPEARL_MELTANO_ENVIRONMENT": "ci",
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        }
        result = airflow(airflow_venv, run_env, "dags", "test", DAG_ID, "2024-06-01")
        output = result.stdout
        assert result.returncode == 0, output[-5000:]
        assert "Settings from connections: brightpearl_api, brightpearl_warehouse" in output
        assert "Environment 'ci' is active" in output  # meltano's own log, relayed by the task
        for secret in SECRETS:
            assert secret not in output, "a secret leaked into the Airflow task log"

        installed = query("select * from installed_accounts")
        zones = query("select * from account_timezones")
        expected = {a.accountCode: a for a in emu.accounts}
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


SHARD_PROBE = """
import json
from airflow.models import DagBag
dag = DagBag(include_examples=False).dags["__DAG_ID__"]
print("PROBE" + json.dumps({t.task_id: {"up": sorted(t.upstream_task_ids), "env": t.env, "command": t.bash_command}
                            for t in dag.tasks}))
""".replace("__DAG_ID__", SHARDED_DAG_ID)


def test_sharded_dag_maps_one_task_per_shard_each_with_its_own_state(
    airflow_venv: Path,
    airflow_env: dict[str, str],
    meltano_bin: Path,
    pg_url: str,
    pg_schema: str,
    query: Any,
    tmp_path: Path,
) -> None:
    env = {**airflow_env, "BRIGHTPEARL_SHARD_COUNT": "2"}
    proc = subprocess.run(
        [str(airflow_venv / "bin" / "python"), "-c", SHARD_PROBE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, proc.stdout + proc.stderr
    tasks = json.loads(line[len("PROBE") :])
    assert sorted(tasks) == ["accounts_shard_0_of_2", "accounts_shard_1_of_2", "developer_tools"]
    for index in range(2):
        task = tasks[f"accounts_shard_{index}_of_2"]
        assert task["up"] == ["developer_tools"]
        assert task["env"]["TAP_BRIGHTPEARL_SHARD_INDEX"] == str(index)
        assert f"--state-id-suffix shard-{index}-of-2" in task["command"]

    assert airflow(airflow_venv, env, "db", "migrate").returncode == 0
    pg = urlsplit(pg_url)
    with Emulator(n_accounts=8, seed=6, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        config = emu.tap_config()
        api_conn = {
            "conn_type": "generic",
            "login": config.pop("developer_reference"),
            "password": config.pop("developer_token"),
            "extra": config,
        }
        warehouse_conn = {
            "conn_type": "postgres",
            "host": pg.hostname,
            "port": pg.port or 5432,
            "login": pg.username or "postgres",
            "password": pg.password or "",
            "schema": pg.path.lstrip("/"),
            "extra": {"target_schema": pg_schema},
        }
        meltano_db = tmp_path / "meltano.db"
        run_env = {
            **env,
            "AIRFLOW_CONN_BRIGHTPEARL_API": json.dumps(api_conn),
            "AIRFLOW_CONN_BRIGHTPEARL_WAREHOUSE": json.dumps(warehouse_conn),
            "MELTANO_BIN": str(meltano_bin),
            "BRIGHTPEARL_MELTANO_ENVIRONMENT": "ci",
            "MELTANO_DATABASE_URI": f"sqlite:///{meltano_db}",
        }
        result = airflow(airflow_venv, run_env, "dags", "test", SHARDED_DAG_ID, "2024-06-01")
        assert result.returncode == 0, result.stdout[-5000:]
        for secret in SECRETS:
            assert secret not in result.stdout
        enabled = {a.accountCode for a in emu.accounts if a.enabled and not a.gone}
        expected = {(c, o["id"]) for c in enabled for o in emu.account_data(c).orders}
        orders = query('select "accountCode", id from orders')
        assert sorted((r["accountCode"], r["id"]) for r in orders) == sorted(expected)
        assert {r["accountCode"] for r in query("select * from installed_accounts")} == {
            a.accountCode for a in emu.accounts
        }
    states = subprocess.run(
        [str(meltano_bin), "--environment", "ci", "state", "list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "MELTANO_DATABASE_URI": f"sqlite:///{meltano_db}"},
        timeout=120,
        check=False,
    ).stdout
    for suffix in ("developer-tools", "shard-0-of-2", "shard-1-of-2"):
        assert f"ci:tap-brightpearl-to-target-postgres:{suffix}" in states
