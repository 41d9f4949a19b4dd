"""Singer tap for Brightpearl, built with the Meltano Singer SDK."""

from tap_brightpearl import deferred_imports

deferred_imports.install()  # before anything imports singer_sdk: see deferred_imports.py
