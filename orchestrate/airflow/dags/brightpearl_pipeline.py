"""Daily Brightpearl -> PostgreSQL load: `meltano run tap-brightpearl target-postgres`.

Copy this file into your Airflow dags folder (or point the dags folder here) and set, on the
scheduler and workers:
  BRIGHTPEARL_MELTANO_PROJECT_DIR  the checkout holding meltano.yml (default: this repository)
  MELTANO_BIN                      the meltano executable (default: `meltano` on PATH)
  BRIGHTPEARL_MELTANO_ENVIRONMENT  dev, ci or prod (default: prod)
Secrets never live in this file. They come, at run time on the worker, from either
  - the Airflow connection `brightpearl_api` (login = developer_reference, password =
    developer_token, extra = {"developer_secret": ..., "app_reference": ..., any other
    tap setting}) and `brightpearl_warehouse` (a Postgres connection), or
  - plain TAP_BRIGHTPEARL_* / TARGET_POSTGRES_* environment variables on the worker.
A connection that does not exist is skipped, so either way works. Values are resolved in
`execute`, not in templates, so they are never stored as rendered task fields.
"""

from __future__ import annotations

import shlex
from datetime import datetime

from airflow import DAG
from brightpearl_meltano import (  # beside this file; Airflow puts the dags folder on sys.path
    API_CONN_ID,
    ENVIRONMENT,
    MELTANO,
    PROJECT_DIR,
    WAREHOUSE_CONN_ID,
    MeltanoRunOperator,
    default_args,
)

DAG_ID = "brightpearl_to_postgres"


with DAG(
    dag_id=DAG_ID,
    description="Brightpearl installed accounts, timezones and account data into PostgreSQL via Meltano",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(hours=2),
    tags=["brightpearl", "meltano"],
) as dag:
    MeltanoRunOperator(
        task_id="meltano_run_tap_brightpearl_target_postgres",
        bash_command=f"{shlex.quote(MELTANO)} --environment {shlex.quote(ENVIRONMENT)} "
        "run tap-brightpearl target-postgres",
        cwd=PROJECT_DIR,
        api_conn_id=API_CONN_ID,
        warehouse_conn_id=WAREHOUSE_CONN_ID,
    )
