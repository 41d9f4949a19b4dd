"""Brightpearl account data, fanned out: one mapped Airflow task per shard of the installed accounts.

A partner app with thousands of installs splits the account-data streams (orders,
products, contacts, warehouses, account_configuration) over `shard_count` tasks, made at
run time by dynamic task mapping (the DAG param `shard_count`, default
BRIGHTPEARL_SHARD_COUNT or 4). Each task runs the same pipeline with
`shard_count`/`shard_index` (a stable hash of accountCode picks the shard, so an account
stays in its shard run after run) and its own Meltano state id
(`<env>:tap-brightpearl-to-target-postgres:shard-N-of-M`), so shards never overwrite each
other's bookmarks. A new shard_count means new state ids: the first run after a change
reads every account in full. The developer-tools streams (installed_accounts,
account_timezones) run once, first, in their own task and state id (`...:developer-tools`).
Then `account_tables` makes the account streams' tables, so shards that start together never
race to create one (brightpearl_tables.py), and `pass_datacentres` gives each shard's state its
accounts' datacentres, which developer_tools located, so the shards do not all ask account-location
again at once on the developer's pool (brightpearl_datacentres.py).

Each task names its streams itself (Meltano's TAP_BRIGHTPEARL__SELECT), because account
data is opt-in: meltano.yml's own selection is not used here.

Settings and secrets come exactly as in brightpearl_pipeline.py (Airflow connections or
the worker's environment), never from this file.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from typing import Any

from brightpearl_datacentres import DEVELOPER_TOOLS_SUFFIX, seed_shards
from brightpearl_meltano import (  # beside this file; Airflow puts the dags folder on sys.path
    API_CONN_ID,
    WAREHOUSE_CONN_ID,
    MeltanoRunOperator,
    Param,
    connection_env,
    dag,
    default_args,
    meltano_el,
    select_env,
    task,
)
from brightpearl_tables import create_tables

DEVELOPER_STREAMS = ["installed_accounts.*", "account_timezones.*"]
ACCOUNT_STREAMS = ["orders.*", "products.*", "contacts.*", "warehouses.*", "account_configuration.*"]
ACCOUNT_TABLES = [pattern.removesuffix(".*") for pattern in ACCOUNT_STREAMS]
LOGGER = logging.getLogger("airflow.task")  # a task's log lines, under Airflow 2 and 3
SHARD_COUNT = int(os.environ.get("BRIGHTPEARL_SHARD_COUNT", "4"))


def shard_kwargs(shard_count: int) -> list[dict[str, Any]]:
    """One MeltanoRunOperator's arguments per shard: its command (own state id) and environment."""
    return [
        {
            "bash_command": meltano_el(f"shard-{index}-of-{shard_count}"),
            "env": {
                **select_env(ACCOUNT_STREAMS),
                "TAP_BRIGHTPEARL_SHARD_COUNT": str(shard_count),
                "TAP_BRIGHTPEARL_SHARD_INDEX": str(index),
            },
        }
        for index in range(shard_count)
    ]


@dag(
    dag_id="brightpearl_accounts_sharded",
    description="Brightpearl account data into PostgreSQL, one mapped task per shard of accounts",
    schedule="@daily",
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(hours=4),
    params={"shard_count": Param(SHARD_COUNT, type="integer", minimum=1, maximum=256)},
    tags=["brightpearl", "meltano", "sharded"],
)
def brightpearl_accounts_sharded() -> None:
    """developer_tools; account_tables and pass_datacentres; plan_shards; then every accounts_shard in parallel."""
    developer_tools = MeltanoRunOperator(
        task_id="developer_tools",
        bash_command=meltano_el(DEVELOPER_TOOLS_SUFFIX),
        env=select_env(DEVELOPER_STREAMS),
    )

    @task
    def account_tables() -> None:
        """Make the account streams' tables once, so shards starting together never race to create one."""
        env = {**os.environ, **connection_env(API_CONN_ID, WAREHOUSE_CONN_ID, LOGGER)}
        create_tables(ACCOUNT_TABLES, env, LOGGER)

    @task
    def pass_datacentres(**context: Any) -> int:
        """Each shard's state gets its accounts' datacentres from developer_tools' (brightpearl_datacentres.py)."""
        env = {**os.environ, **connection_env(API_CONN_ID, WAREHOUSE_CONN_ID, LOGGER)}
        return seed_shards(int(context["params"]["shard_count"]), env, LOGGER)

    @task
    def plan_shards(**context: Any) -> list[dict[str, Any]]:
        """The shard list is made at run time, so a triggered run can pick its own shard_count."""
        return shard_kwargs(int(context["params"]["shard_count"]))

    plan = plan_shards()
    shards = MeltanoRunOperator.partial(
        task_id="accounts_shard",
        map_index_template="shard {{ task.env['TAP_BRIGHTPEARL_SHARD_INDEX'] }}"
        " of {{ task.env['TAP_BRIGHTPEARL_SHARD_COUNT'] }}",
    ).expand_kwargs(plan)
    developer_tools >> [account_tables(), pass_datacentres()] >> plan >> shards


brightpearl_accounts_sharded()
