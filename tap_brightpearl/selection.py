"""Nothing ignored in silence: an unknown setting, a catalog naming a stream this tap lacks, a run that selects nothing.

Each is one clear line: a WARNING naming the nearest known setting (a typo in a config file would
otherwise change nothing and say nothing); an error for a selected stream the tap does not have, or
for a selection that reads no stream at all (a `meltano select` typo), which would exit 0 having
read nothing.
"""

from __future__ import annotations

import difflib
import typing as t

if t.TYPE_CHECKING:
    from singer_sdk.singerlib.catalog import Catalog


def nearest(name: str, known: t.Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_settings(config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any]) -> list[str]:
    """One line per setting the config holds that the tap does not have (value never shown)."""
    known = set(schema.get("properties") or {})
    return [
        f"setting {name!r} is not a setting of tap-brightpearl and is ignored{nearest(name, known)}"
        for name in sorted(set(config) - known)
    ]


def selection_problems(catalog: Catalog | None, streams: t.Mapping[str, t.Any]) -> list[str]:
    """Selected catalog entries this tap does not have, and an empty selection; empty when the run reads something."""
    found = []
    if catalog is not None:
        for entry in catalog.streams:
            name = entry.tap_stream_id
            metadata = entry.metadata.root if entry.metadata else None
            selected = bool(metadata and (metadata.selected or metadata.selected_by_default))
            if name not in streams and selected:
                found.append(
                    f"the catalog selects stream {name!r}, which tap-brightpearl does not have{nearest(name, streams)}"
                )
    if not any(s.selected for s in streams.values()):
        found.append(
            "no stream is selected, so this run would read nothing. Select streams with `meltano select "
            "tap-brightpearl <stream> '*'` or a catalog (`tap-brightpearl --about` lists them)"
        )
    return found
