"""Helpers for scripts/demo.sh, stdlib only so they run before any install.

`env CONFIG` prints `export TAP_BRIGHTPEARL_*=...` lines (objects as JSON), the way
Meltano takes settings from the environment; `table DIR` joins the two CSV files the
loader wrote into the table a person wants to see.
"""

from __future__ import annotations

import csv
import json
import shlex
import sys
from pathlib import Path

COLUMNS = ("account", "installed on (UTC)", "enabled", "timezone", "offset", "datacentre")


def env_lines(config_path: Path) -> list[str]:
    """One shell export per setting; values quoted so JSON survives `eval`."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    lines = []
    for key, value in config.items():
        text = value if isinstance(value, str) else json.dumps(value)
        lines.append(f"export TAP_BRIGHTPEARL_{key.upper()}={shlex.quote(text)}")
    return lines


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of one CSV file written by target-csv."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def joined_rows(output: Path) -> list[tuple[str, ...]]:
    """installed_accounts joined to account_timezones on accountCode, oldest install first."""
    zones = {r["accountCode"]: r for r in read_csv(output / "account_timezones.csv")}
    rows = []
    for acc in read_csv(output / "installed_accounts.csv"):
        zone = zones.get(acc["accountCode"], {})
        rows.append(
            (
                acc["accountCode"],
                acc["installedOn"][:19],
                "yes" if acc.get("enabled", "").lower() == "true" else "no",
                zone.get("canonicalId") or "-",
                zone.get("currentUtcOffset") or "-",
                zone.get("dataCenter") or "-",
            )
        )
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows


def render(rows: list[tuple[str, ...]]) -> str:
    """Lay the rows out as a plain fixed-width table."""
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(COLUMNS)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip(), line]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    out.append(line)
    enabled = sum(r[2] == "yes" for r in rows)
    dcs = sorted({r[5] for r in rows})
    out.append(f"{len(rows)} accounts ({enabled} enabled) across datacentres {', '.join(dcs)}")
    return "\n".join(out)


def other_streams(output: Path) -> str:
    """One line naming the account-data files loaded besides the two in the table."""
    shown = {"installed_accounts.csv", "account_timezones.csv"}
    counts = [f"{p.stem} ({len(read_csv(p))} rows)" for p in sorted(output.glob("*.csv")) if p.name not in shown]
    return f"Also loaded: {', '.join(counts)}" if counts else ""


def main(argv: list[str]) -> int:
    """Dispatch `env` or `table`."""
    if len(argv) == 2 and argv[0] == "env":
        print("\n".join(env_lines(Path(argv[1]))))
        return 0
    if len(argv) == 2 and argv[0] == "table":
        print(render(joined_rows(Path(argv[1]))))
        print(other_streams(Path(argv[1])))
        return 0
    print("usage: demo_table.py env CONFIG.json | table OUTPUT_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
