"""The `tap-brightpearl` command: the SDK's CLI, started without the SDK imports a run never uses.

The stand-ins of `deferred_imports` go in here, in the tap's own process, and not on `import
tap_brightpearl`: a program that imports the package (an Airflow worker, a notebook) keeps its own
joblib and upath exactly as they are.
"""

from __future__ import annotations


def main() -> None:
    """Console entry point (pyproject.toml's `tap-brightpearl`)."""
    from tap_brightpearl import deferred_imports  # before anything imports singer_sdk

    deferred_imports.install()
    from tap_brightpearl.tap import TapBrightpearl  # after the stand-ins

    TapBrightpearl.cli()


if __name__ == "__main__":
    main()
