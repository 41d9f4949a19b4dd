"""Contract: a stranger's first run, the tap's default selection, against the recordings alone.

Only five account streams have recorded answers; every other stream asks for something the
replay server does not know (404 `REPLAY-404`). What was recorded must still arrive, and each
stream without an answer fails alone, named in one line, with no traceback.
"""

from __future__ import annotations

import json

from tests.contract.harness import RECORDED_STREAMS, assert_clean, standard_routes


def _summary(run):
    line = next(x for x in run.stderr.splitlines() if x.startswith('{"type":"BRIGHTPEARL_RUN_SUMMARY"'))
    return json.loads(line)


def test_default_selection_loads_what_was_recorded_and_names_each_stream_that_failed(recordings, tap):
    run = tap(standard_routes(recordings), streams=None)
    assert_clean(run, unmatched_expected=True)
    for stream in RECORDED_STREAMS:
        assert run.records(stream), f"{stream} has recorded answers and must load; {run.describe()}"
    summary = _summary(run)
    failed = set(summary["failed_streams"])
    assert failed, "streams without an answer cannot have succeeded"
    assert not failed & set(RECORDED_STREAMS)
    assert run.returncode != 0, "a failed stream makes the run fail"
    for stream in failed:
        assert "REPLAY-404" in summary["streams"][stream]["error"], summary["streams"][stream]
    unmatched = {r.path.split("/")[3] for r in run.unmatched}
    services = {"warehouse-service", "accounting-service", "product-service", "order-service", "contact-service"}
    assert unmatched <= services
