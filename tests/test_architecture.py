"""The structure the code promises: checks anyone can run, so it cannot quietly rot.

- Streams receive the run's runtime; none reaches into the tap (`_tap`).
- No module of tap_brightpearl imports another that imports it back, directly or in a loop
  (importing `a.b.c` also runs the package `a.b`, so that counts as an import too).
- Every private singer-sdk member the tap uses is listed in sdk_private.py and still exists
  with the shape the tap relies on: an SDK upgrade that changes one fails here, loudly.
- The modules deferred_imports.py stands in for are imported by singer_sdk with the names it lists.
- No file is over about 400 lines.
- Every test file is on the map in tests/README.md.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from singer_sdk.helpers import _state as sdk_state
from singer_sdk.streams.core import Stream

from tap_brightpearl import sdk_private

PACKAGE = Path(__file__).resolve().parents[1] / "tap_brightpearl"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports at run time (TYPE_CHECKING blocks left out), packages included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tap_brightpearl"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("tap_brightpearl")]
        for name in names:
            parts = name.split(".")
            found |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)} & known
    return found - {module_name(path)}


def test_no_stream_reaches_into_the_tap():
    offenders = [
        f"{p.name}:{n}"
        for p in (PACKAGE / "streams").glob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"_tap\b", line)
    ]
    assert offenders == []


def test_no_import_loops():
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imports_of(path, set(paths)) for name, path in paths.items()}
    loops = []

    def visit(name: str, trail: list[str]) -> None:
        for nxt in sorted(graph[name]):
            if nxt in trail:
                loops.append([*trail[trail.index(nxt) :], nxt])
            elif len(trail) < 30:
                visit(nxt, [*trail, nxt])

    for start in graph:
        visit(start, [start])
    assert loops == [], f"import loops: {loops[:3]}"


def test_every_private_sdk_member_the_tap_uses_is_listed_and_still_there():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"(?:stream|Stream|self|super\(\))\._(?!_)([a-z]\w+)\(", text))
    ours = {"_sync_records", "_increment_stream_state"}  # the tap's own overrides of these two
    listed = {m.lstrip("_") for m in sdk_private.MEMBERS}
    sdk_members = {name for name in used if hasattr(Stream, f"_{name}")}
    assert sdk_members <= listed, f"private SDK members used but not listed: {sdk_members - listed}"
    for member in sdk_private.MEMBERS:
        assert callable(getattr(Stream, member, None)), f"singer-sdk no longer has Stream.{member}"
    assert {"_" + m for m in listed} >= ours
    shapes = {
        "_sync_records": ["self", "context", "write_messages"],
        "_increment_stream_state": ["self", "latest_record", "context"],
        "_write_starting_replication_value": ["self", "context"],
        "_get_state_partition_context": ["self", "context"],
        "_finalize_state": ["self", "state"],
        "_write_state_message": ["self"],
    }
    for member, parameters in shapes.items():
        assert list(inspect.signature(getattr(Stream, member)).parameters) == parameters, member
    assert sdk_state.PROGRESS_MARKERS == "progress_markers"
    assert hasattr(Stream, "state_manager")


def test_singer_sdk_takes_from_the_deferred_modules_only_the_names_their_stand_ins_forward():
    import singer_sdk

    from tap_brightpearl.deferred_imports import DEFERRED

    sdk = Path(singer_sdk.__file__).parent
    taken: dict[str, set[str]] = {name: set() for name in DEFERRED}
    for path in sdk.rglob("*.py"):
        if "contrib" in path.parts or "testing" in path.parts:
            continue  # the filesystem tap and the test helpers: not imported by a tap run
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in DEFERRED and not _under_type_checking(tree, node):
                taken[node.module] |= {a.name for a in node.names}
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in DEFERRED for a in node.names):
                raise AssertionError(f"{path.relative_to(sdk)} imports a deferred module whole: {ast.unparse(node)}")
    assert {k: sorted(v) for k, v in taken.items()} == {k: sorted(v) for k, v in DEFERRED.items()}


def _under_type_checking(tree: ast.AST, target: ast.AST) -> bool:
    return any(
        isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) and target in ast.walk(node)
        for node in ast.walk(tree)
    )


def test_no_module_is_longer_than_about_400_lines():
    long = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}


def test_the_sdk_plugin_hook_the_tap_overrides_is_still_there():
    from singer_sdk.plugin_base import PluginBase

    from tap_brightpearl.tap import TapBrightpearl

    for member in sdk_private.PLUGIN_MEMBERS:
        assert callable(getattr(PluginBase, member, None)), f"singer-sdk no longer has PluginBase.{member}"
        assert list(inspect.signature(getattr(PluginBase, member)).parameters) == ["self"], member
        assert member in vars(TapBrightpearl), f"the tap no longer overrides {member}"
    # The SDK still calls the hook from its constructor (else the SDK's own handler, exit 0, would stay).
    assert "self._setup_signal_handlers()" in inspect.getsource(PluginBase.__init__)


def test_every_test_file_is_on_the_map_in_tests_readme():
    tests = PACKAGE.parent / "tests"
    listed = set(re.findall(r"^\| `(test_\w+\.py)` \|", (tests / "README.md").read_text(encoding="utf-8"), re.M))
    present = {p.name for p in tests.rglob("test_*.py")}
    assert present - listed == set(), "tests/README.md does not say what these files pin down"
    assert listed - present == set(), "tests/README.md lists files that are gone"
