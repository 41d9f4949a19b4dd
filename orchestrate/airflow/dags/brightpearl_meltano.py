"""Shared pieces of the Brightpearl DAGs: where Meltano is, and the operator that runs it.

Settings and secrets reach the task at run time, on the worker, from the Airflow
connections `brightpearl_api` and `brightpearl_warehouse` or from the worker's
environment; never from a DAG file. (No DAG is defined here.)
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

API_CONN_ID = os.environ.get("BRIGHTPEARL_API_CONN_ID", "brightpearl_api")
WAREHOUSE_CONN_ID = os.environ.get("BRIGHTPEARL_WAREHOUSE_CONN_ID", "brightpearl_warehouse")
PROJECT_DIR = os.environ.get("BRIGHTPEARL_MELTANO_PROJECT_DIR", str(Path(__file__).resolve().parents[3]))
MELTANO = os.environ.get("MELTANO_BIN", "meltano")
ENVIRONMENT = os.environ.get("BRIGHTPEARL_MELTANO_ENVIRONMENT", "prod")


def default_args(*, hours: int) -> dict[str, Any]:
    """Retries with exponential back-off, and a timeout of `hours` per task."""
    return {
        "owner": "data",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=hours),
    }


def _connection(conn_id: str) -> Any | None:
    """The Airflow connection, or None when it is not defined (env vars are used instead)."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.hooks.base import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def _mask(value: str) -> str:
    """Keep a secret out of task logs (Airflow's own secrets masker)."""
    try:
        from airflow.sdk.execution_time.secrets_masker import mask_secret  # Airflow 3
    except ImportError:
        from airflow.utils.log.secrets_masker import mask_secret  # Airflow 2
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
        env[f"TAP_BRIGHTPEARL_{key.upper()}"] = _mask(text) if key == "developer_secret" else text
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


class MeltanoRunOperator(BashOperator):
    """A BashOperator that adds the pipeline's settings from Airflow connections at run time."""

    def __init__(self, *, api_conn_id: str, warehouse_conn_id: str, **kwargs: Any) -> None:
        """Remember which connections to read; the worker's environment is kept (append_env)."""
        super().__init__(append_env=True, **kwargs)
        self.api_conn_id = api_conn_id
        self.warehouse_conn_id = warehouse_conn_id

    def execute(self, context: Any) -> Any:
        """Resolve the connections, then run the command."""
        extra: dict[str, str] = {}
        api = _connection(self.api_conn_id)
        if api is not None:
            extra.update(brightpearl_env(api))
        warehouse = _connection(self.warehouse_conn_id)
        if warehouse is not None:
            extra.update(warehouse_env(warehouse))
        self.log.info(
            "Settings from connections: %s; the rest from the worker environment",
            ", ".join(c for c, found in ((self.api_conn_id, api), (self.warehouse_conn_id, warehouse)) if found)
            or "none",
        )
        self.env = {**(self.env or {}), **extra}
        return super().execute(context)
