"""README command one, `./scripts/demo.sh`, as a newcomer runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.project import footprint_changes, meltano_footprint

pytestmark = pytest.mark.pipeline

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_prints_the_accounts_and_leaves_one_csv_per_stream_and_the_checkouts_meltano_alone(meltano_exe):
    before = meltano_footprint()
    proc = subprocess.run(
        ["./scripts/demo.sh", "--accounts", "12"], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "12 accounts" in proc.stdout and "across datacentres" in proc.stdout
    assert "Also loaded: account_configuration" in proc.stdout
    loaded = {p.name for p in (REPO / "demo-output").glob("*.csv")}
    assert {"installed_accounts.csv", "account_timezones.csv", "orders.csv"} <= loaded
    # The next steps point at README sections that exist (the demo's emulator is gone by then, so a
    # bare `meltano run ... target-postgres` would fail: it has no credentials and no database URL).
    readme = (REPO / "README.md").read_text()
    for section in ("Try it against the emulator", "With Meltano"):
        assert f'"{section}"' in proc.stdout and f"## {section}" in readme, section
    # Meltano ran in a throwaway copy: no .meltano/, .env or rewritten meltano.yml in the checkout.
    assert footprint_changes(before, meltano_footprint()) == []
