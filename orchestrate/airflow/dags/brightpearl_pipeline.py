"""Daily Brightpearl -> PostgreSQL load: `meltano el tap-brightpearl target-postgres` (one state id).

Runs under Airflow 2.10 and 3.x (imports: brightpearl_meltano.py). Copy the dags folder
into your Airflow dags folder (or point the dags folder here) and set, on the scheduler
and workers:
  BRIGHTPEARL_MELTANO_PROJECT_DIR  the checkout holding meltano.yml (default: this repository)
  MELTANO_BIN                      the meltano executable (default: `meltano` on PATH)
  BRIGHTPEARL_MELTANO_ENVIRONMENT  dev, ci or prod (default: prod)
The streams are the ones meltano.yml selects (the developer-tools streams; account data is
opt-in there, or per worker with TAP_BRIGHTPEARL__SELECT). For account data at scale use
brightpearl_sharded.py.

Secrets never live in this file. They come, at run time on the worker, from either
  - the Airflow connection `brightpearl_api` (login = developer_reference, password =
    developer_token, extra = {"developer_secret": ..., "app_reference": ..., any other
    tap setting}) and `brightpearl_warehouse` (a Postgres connection), or
  - plain TAP_BRIGHTPEARL_* / TARGET_POSTGRES_* environment variables on the worker.
A connection that does not exist is skipped, so either way works. Values are resolved in
`execute`, not in templates, so they are never stored as rendered task fields.
"""

from __future__ import annotations

from datetime import datetime, timezone

from brightpearl_meltano import (  # beside this file; Airflow puts the dags folder on sys.path
    MeltanoRunOperator,
    dag,
    default_args,
    meltano_el,
)


@dag(
    dag_id="brightpearl_to_postgres",
    description="Brightpearl streams selected in meltano.yml into PostgreSQL via Meltano",
    schedule="@daily",
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(hours=2),
    tags=["brightpearl", "meltano"],
)
def brightpearl_to_postgres() -> None:
    """One task: the Meltano job, with Meltano's own state (one state id) between runs."""
    MeltanoRunOperator(task_id="meltano_run_tap_brightpearl_target_postgres", bash_command=meltano_el())


brightpearl_to_postgres()
