"""Brightpearl account data, fanned out: one Airflow task per shard of the installed accounts.

A partner app with thousands of installs splits the account-data streams (orders,
products, contacts, warehouses, account_configuration) over `BRIGHTPEARL_SHARD_COUNT`
tasks. Each task runs the same pipeline with `shard_count`/`shard_index` (a stable hash
of accountCode decides the shard, so an account stays in its shard run after run) and its
own Meltano state id (`--state-id-suffix shard-N`), so the shards never overwrite each
other's bookmarks. The developer-tools streams (installed_accounts, account_timezones)
run once, first, in their own task.

Settings and secrets come exactly as in brightpearl_pipeline.py (Airflow connections or
the worker's environment), never from this file.
"""

from __future__ import annotations

import json
import os
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

DAG_ID = "brightpearl_accounts_sharded"
SHARD_COUNT = int(os.environ.get("BRIGHTPEARL_SHARD_COUNT", "4"))
DEVELOPER_STREAMS = ["installed_accounts.*", "account_timezones.*"]
ACCOUNT_STREAMS = ["orders.*", "products.*", "contacts.*", "warehouses.*", "account_configuration.*"]


def meltano_run(suffix: str) -> str:
    """`meltano run` with its own state id, so each task keeps its own bookmarks."""
    return (
        f"{shlex.quote(MELTANO)} --environment {shlex.quote(ENVIRONMENT)} run "
        f"--state-id-suffix {shlex.quote(suffix)} tap-brightpearl target-postgres"
    )


with DAG(
    dag_id=DAG_ID,
    description="Brightpearl account data into PostgreSQL, one task per shard of accounts",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(hours=4),
    tags=["brightpearl", "meltano", "sharded"],
) as dag:
    developer_tools = MeltanoRunOperator(
        task_id="developer_tools",
        bash_command=meltano_run("developer-tools"),
        env={"TAP_BRIGHTPEARL__SELECT": json.dumps(DEVELOPER_STREAMS)},
        cwd=PROJECT_DIR,
        api_conn_id=API_CONN_ID,
        warehouse_conn_id=WAREHOUSE_CONN_ID,
    )
    for index in range(SHARD_COUNT):
        shard = MeltanoRunOperator(
            task_id=f"accounts_shard_{index}_of_{SHARD_COUNT}",
            bash_command=meltano_run(f"shard-{index}-of-{SHARD_COUNT}"),
            env={
                "TAP_BRIGHTPEARL__SELECT": json.dumps(ACCOUNT_STREAMS),
                "TAP_BRIGHTPEARL_SHARD_COUNT": str(SHARD_COUNT),
                "TAP_BRIGHTPEARL_SHARD_INDEX": str(index),
            },
            cwd=PROJECT_DIR,
            api_conn_id=API_CONN_ID,
            warehouse_conn_id=WAREHOUSE_CONN_ID,
        )
        developer_tools >> shard
