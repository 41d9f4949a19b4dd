"""Start-up without the parts of singer_sdk a tap run does not use: joblib, upath and fsspec.

`import singer_sdk` imports its Target base (which imports joblib for a target's parallel sink
drain), and every stream imports the SDK's batch helpers (which import upath, and with it
fsspec, for BATCH files). A tap run never drains sinks and writes BATCH files only when
`batch_config` is set, yet the three cost ~0.1 s of CPU at every start, a fifth of the tap's
start-up (bench/RESULTS.md, B10). Until singer_sdk imports them lazily, each stands in
`sys.modules` as a small module whose names (those singer_sdk imports) forward to the real
module, imported on the first call; any other name, and a submodule, imports it at once. Only
the tap's own command installs them (cli.py). The names are listed in sdk_private.py;
tests/test_architecture.py fails when the SDK imports another, and tests/test_deferred_imports.py
shows a BATCH run, a joblib call and a submodule import still work.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
import typing as t

#: module -> the names singer_sdk takes from it at import (target_base.py, helpers/_batch.py)
DEFERRED: dict[str, tuple[str, ...]] = {
    "joblib": ("Parallel", "delayed", "parallel_config"),
    "upath": ("UPath",),
}
_lock = threading.RLock()


class _StandIn(types.ModuleType):
    """A module whose listed names call into the real one; anything else loads it now."""

    def __getattr__(self, name: str) -> t.Any:
        if name.startswith("__") and name != "__path__":  # __path__: a submodule is being imported
            raise AttributeError(name)
        return getattr(real(self.__name__), name)


def real(name: str) -> types.ModuleType:
    """The real module `name`, imported now if only its stand-in is in sys.modules."""
    with _lock:
        module = sys.modules.get(name)
        if not isinstance(module, _StandIn):
            return module if module is not None else importlib.import_module(name)
        del sys.modules[name]
        try:
            return importlib.import_module(name)
        except BaseException:
            sys.modules[name] = module
            raise


def _forward(module: str, name: str) -> t.Callable[..., t.Any]:
    def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return getattr(real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on the first call (tap_brightpearl.deferred_imports)."
    return call


def install() -> None:
    """Stand in for each module not imported yet, unless singer_sdk already is (nothing to save)."""
    if "singer_sdk" in sys.modules:
        return
    with _lock:
        for module, names in DEFERRED.items():
            if module in sys.modules:
                continue
            stand_in = _StandIn(module, f"{module}, imported on first use (tap_brightpearl.deferred_imports)")
            for name in names:
                setattr(stand_in, name, _forward(module, name))
            sys.modules[module] = stand_in


def stood_in() -> list[str]:
    """The modules still represented by a stand-in (not imported for real)."""
    return sorted(name for name in DEFERRED if isinstance(sys.modules.get(name), _StandIn))
