"""A run never says nothing: an unknown setting, a stream the tap lacks, an empty selection, a slow stream.

Issue 23 ("What was measured" 3 and 4): a catalog selecting `order` (not `orders`) ran nothing and
exited 0; `data_centre` was ignored without a word; 60 accounts at 400 ms printed nothing for 24 s.
"""

from __future__ import annotations

import json
import re

from tests.conftest import DEV_SECRET, DEV_TOKEN, catalog_selecting
from tests.emulator import Emulator


def test_an_unknown_setting_is_a_warning_naming_the_nearest_one(emulator, tap):
    run = tap(emulator.tap_config(data_centre="use1"))
    assert run.returncode == 0, run.stderr[-2000:]
    warnings = [w for w in run.warnings() if "data_centre" in w]
    assert len(warnings) == 1 and "did you mean 'data_center'?" in warnings[0], run.stderr[-2000:]
    assert "use1" not in warnings[0], "the value is never shown"


def test_a_catalog_selecting_a_stream_the_tap_lacks_fails_naming_it(emulator, tap, tmp_path):
    catalog = catalog_selecting(emulator.tap_config(), ("installed_accounts",))
    catalog["streams"].append(
        {
            "tap_stream_id": "order",
            "stream": "order",
            "schema": {},
            "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}],
        }
    )
    run = tap(emulator.tap_config(), catalog=catalog)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and "'order'" in last and "did you mean 'orders'?" in last, last
    assert not run.messages or not any(m["type"] == "RECORD" for m in run.messages), "nothing read"


def test_a_selection_that_reads_nothing_says_so(emulator, tap):
    run = tap(emulator.tap_config(), streams=())
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and "no stream is selected" in last, last
    assert "Traceback" not in run.stderr


def test_progress_moves_while_slow_accounts_are_read(tap):
    with Emulator(n_accounts=30, seed=3, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, latency=0.4) as emu:
        run = tap(
            emu.tap_config(max_concurrency=2, progress_interval_seconds=1),
            streams=("orders",),
            timeout=300,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line for line in run.stderr.splitlines() if re.search(r"orders: \d+ of \d+ accounts", line)]
    assert len(lines) >= 5, f"progress lines during orders: {lines}"
    done = [int(re.search(r"orders: (\d+) of", line).group(1)) for line in lines]
    assert done == sorted(done) and done[-1] > done[0], f"accounts done move forward: {done}"
    assert any("s left" in line for line in lines), "an estimate of what is left"
    summary = json.loads(next(line for line in run.stderr.splitlines() if "BRIGHTPEARL_RUN_SUMMARY" in line))
    assert summary["streams"]["orders"]["expected"] == summary["streams"]["orders"]["read"]
