"""Shared pieces of the Brightpearl DAGs: the Airflow 2/3 imports, where Meltano is, and its operator.

Settings and secrets reach the task at run time, on the worker, from the Airflow
connections `brightpearl_api` and `brightpearl_warehouse` or from the worker's
environment; never from a DAG file. (No DAG is defined here.)
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow import __version__ as AIRFLOW_VERSION

# The DAG-authoring API moved in Airflow 3: DAG, @dag, @task, Param and BaseHook come from the Task
# SDK (airflow.sdk) and BashOperator from the standard provider; the Airflow 2 paths are deprecated
# there. One block here, so the DAG files import the same names under either major version.
AIRFLOW_MAJOR = int(AIRFLOW_VERSION.split(".")[0])
if AIRFLOW_MAJOR >= 3:
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import BaseHook, Param, dag, task
    from airflow.sdk.exceptions import AirflowNotFoundException
    from airflow.sdk.log import mask_secret
else:
    from airflow.decorators import dag, task
    from airflow.exceptions import AirflowNotFoundException
    from airflow.hooks.base import BaseHook
    from airflow.models.param import Param
    from airflow.operators.bash import BashOperator
    from airflow.utils.log.secrets_masker import mask_secret

API_CONN_ID = os.environ.get("BRIGHTPEARL_API_CONN_ID", "brightpearl_api")
WAREHOUSE_CONN_ID = os.environ.get("BRIGHTPEARL_WAREHOUSE_CONN_ID", "brightpearl_warehouse")
PROJECT_DIR = os.environ.get("BRIGHTPEARL_MELTANO_PROJECT_DIR", str(Path(__file__).resolve().parents[3]))
MELTANO = os.environ.get("MELTANO_BIN", "meltano")
ENVIRONMENT = os.environ.get("BRIGHTPEARL_MELTANO_ENVIRONMENT", "prod")


def _seconds(name: str, default: float) -> float:
    """A non-negative number of seconds from the environment; a bad value fails the DAG import, by name."""
    text = os.environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number of seconds") from None
    if not value >= 0:
        raise ValueError(f"{name}={text!r} must be 0 or more seconds")
    return value


# The first retry's delay (later ones double it, with Airflow's jitter, capped at 1 h). Read where
# the DAG is parsed (the dag-processor); the cluster test shortens it, deployments keep 5 minutes.
RETRY_DELAY_SECONDS = _seconds("BRIGHTPEARL_RETRY_DELAY_SECONDS", 300.0)

__all__ = [
    "AIRFLOW_MAJOR",
    "API_CONN_ID",
    "ENVIRONMENT",
    "MELTANO",
    "PROJECT_DIR",
    "WAREHOUSE_CONN_ID",
    "MeltanoRunOperator",
    "Param",
    "connection_env",
    "dag",
    "default_args",
    "meltano_el",
    "select_env",
    "state_id",
    "task",
]


def default_args(*, hours: int) -> dict[str, Any]:
    """Retries with exponential back-off from RETRY_DELAY_SECONDS (True: x2 on both majors), `hours` per task."""
    return {
        "owner": "data",
        "retries": 2,
        "retry_delay": timedelta(seconds=RETRY_DELAY_SECONDS),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
        "execution_timeout": timedelta(hours=hours),
    }


def meltano_el(state_id_suffix: str | None = None) -> str:
    """`meltano el tap-brightpearl target-postgres` with the state id `meltano run` would use (plus a suffix).

    `el`, not `run`: Meltano 4's `run` keeps the tap's catalog and state file in one folder per project
    (.meltano/run/tap-brightpearl/), so two tasks on one worker at once overwrite each other's (shards
    failed with "Invalid catalog" on the Celery cluster; meltano/meltano#8763). `el` gives each run a
    folder of its own. The suffix gives a task its own state id.
    """
    return (
        f"{shlex.quote(MELTANO)} --environment {shlex.quote(ENVIRONMENT)} el tap-brightpearl target-postgres"
        f" --state-id {shlex.quote(state_id(state_id_suffix))}"
    )


def state_id(suffix: str | None = None) -> str:
    """The state id `meltano run tap-brightpearl target-postgres` would use, plus a task's own suffix."""
    base = f"{ENVIRONMENT}:tap-brightpearl-to-target-postgres"
    return f"{base}:{suffix}" if suffix else base


def select_env(patterns: list[str]) -> dict[str, str]:
    """Meltano's override of the extractor's `select` extra: exactly these streams, whatever meltano.yml says."""
    return {"TAP_BRIGHTPEARL__SELECT": json.dumps(patterns)}


def _connection(conn_id: str) -> Any | None:
    """The Airflow connection, or None when it is not defined (env vars are used instead)."""
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def _mask(value: str) -> str:
    """Keep a secret out of task logs (Airflow's own secrets masker)."""
    mask_secret(value)
    return value


def brightpearl_env(conn: Any) -> dict[str, str]:
    """TAP_BRIGHTPEARL_* from the API connection: login, password and every extra setting."""
    env: dict[str, str] = {}
    if conn.login:
        env["TAP_BRIGHTPEARL_DEVELOPER_REFERENCE"] = conn.login
    if conn.password:
        env["TAP_BRIGHTPEARL_DEVELOPER_TOKEN"] = _mask(conn.password)
    for key, value in (conn.extra_dejson or {}).items():
        text = value if isinstance(value, str) else json.dumps(value)
        secret = key in ("developer_secret", "account_token", "staff_token")
        env[f"TAP_BRIGHTPEARL_{key.upper()}"] = _mask(text) if secret else text
    return env


def warehouse_env(conn: Any) -> dict[str, str]:
    """target-postgres' sqlalchemy_url from a Postgres connection (password optional)."""
    auth = quote(conn.login or "postgres", safe="")
    if conn.password:
        auth += ":" + quote(_mask(conn.password), safe="")
    url = f"postgresql+psycopg://{auth}@{conn.host or '127.0.0.1'}:{conn.port or 5432}/{conn.schema or 'postgres'}"
    env = {"TARGET_POSTGRES_SQLALCHEMY_URL": _mask(url) if conn.password else url}
    target_schema = (conn.extra_dejson or {}).get("target_schema")
    if target_schema:
        env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = str(target_schema)
    return env


def connection_env(api_conn_id: str, warehouse_conn_id: str, log: Any) -> dict[str, str]:
    """The pipeline's settings from the two Airflow connections (one that does not exist is skipped)."""
    env: dict[str, str] = {}
    api = _connection(api_conn_id)
    if api is not None:
        env.update(brightpearl_env(api))
    warehouse = _connection(warehouse_conn_id)
    if warehouse is not None:
        env.update(warehouse_env(warehouse))
    found = [c for c, conn in ((api_conn_id, api), (warehouse_conn_id, warehouse)) if conn]
    log.info("Settings from connections: %s; the rest from the worker environment", ", ".join(found) or "none")
    return env


class MeltanoRunOperator(BashOperator):
    """A BashOperator that adds the pipeline's settings from Airflow connections at run time."""

    def __init__(
        self, *, api_conn_id: str = API_CONN_ID, warehouse_conn_id: str = WAREHOUSE_CONN_ID, **kwargs: Any
    ) -> None:
        """Remember which connections to read; the worker's environment is kept (append_env)."""
        kwargs.setdefault("cwd", PROJECT_DIR)
        super().__init__(append_env=True, **kwargs)
        self.api_conn_id = api_conn_id
        self.warehouse_conn_id = warehouse_conn_id

    def execute(self, context: Any) -> Any:
        """Resolve the connections here, after templating, so no secret is stored as a rendered field."""
        self.env = {**(self.env or {}), **connection_env(self.api_conn_id, self.warehouse_conn_id, self.log)}
        return super().execute(context)
