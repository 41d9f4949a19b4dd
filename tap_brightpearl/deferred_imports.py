"""Start-up without the parts of singer_sdk a tap run does not use: joblib, upath and fsspec.

`import singer_sdk` imports its Target base (which imports joblib for a target's parallel sink
drain), and every stream imports the SDK's batch helpers (which import upath, and with it
fsspec, for BATCH files). A tap run never drains sinks and writes BATCH files only when
`batch_config` is set, yet the three cost ~0.1 s of CPU at every start, a fifth of the tap's
start-up (bench/RESULTS.md, B10). Until singer_sdk imports them lazily, each stands in
`sys.modules` as a small module whose names (those singer_sdk imports) forward to the real
module, imported on the first call; any other name, and a submodule, imports it at once. Only
the tap's own command installs them (cli.py).

`from joblib import Parallel` asks the module for `__path__` before it takes the name (a package's
names may be submodules); answering that by importing the real package undid the whole saving, unseen,
from 0dd49ed to 2026-12-04. A stand-in now answers `__path__` only to the import system looking for one
of its submodules (`importlib._bootstrap._find_and_load_unlocked`, CPython 3.10-3.13), with the real
package's; to anyone else it has none, so the names are taken from the stand-in. The names are
listed in sdk_private.py; tests/test_architecture.py fails when the SDK imports another, and
tests/test_deferred_imports.py shows a BATCH run, a joblib call and a submodule import still work.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
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
        if name == "__path__":
            caller = sys._getframe(1)
            if not _finding_a_submodule(caller):
                raise AttributeError(name)  # `from joblib import Parallel`: take the name from here
            package, wanted = real(self.__name__), caller.f_locals["name"]
            if wanted in sys.modules:  # the real package imported that submodule itself
                _HANDED_OVER.add(wanted)
            return package.__path__
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(real(self.__name__), name)


def _finding_a_submodule(caller: types.FrameType) -> bool:
    """Whether `caller` is the import system resolving `package.submodule` (it reads the package's __path__)."""
    return caller.f_code.co_name == "_find_and_load_unlocked" and caller.f_globals.get("__name__") == (
        "importlib._bootstrap"
    )


_HANDED_OVER: set[str] = set()  # submodules the real package imported while its stand-in was asked for them


class _AlreadyImported(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The submodule the real package imported while its stand-in was asked for it: that one, not a second copy."""

    def find_spec(self, fullname: str, path: t.Any, target: t.Any = None) -> importlib.machinery.ModuleSpec | None:
        """A spec handing back the loaded module, for a submodule asked for through a stand-in; else None."""
        if fullname not in _HANDED_OVER:
            return None
        _HANDED_OVER.discard(fullname)
        module = sys.modules.get(fullname)
        return None if module is None else importlib.machinery.ModuleSpec(fullname, self, loader_state=module.__spec__)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        """The module already loaded."""
        return sys.modules[spec.name]

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: give the module back its own spec (the import system set this one)."""
        module.__spec__ = module.__spec__.loader_state


_FINDER = _AlreadyImported()


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
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)


def stood_in() -> list[str]:
    """The modules still represented by a stand-in (not imported for real)."""
    return sorted(name for name in DEFERRED if isinstance(sys.modules.get(name), _StandIn))
