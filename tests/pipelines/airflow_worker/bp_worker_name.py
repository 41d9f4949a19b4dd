"""Airflow's `[core] hostname_callable` for the Celery cluster test.

Both Celery workers run on this one machine, so they share a hostname; each names itself with
BRIGHTPEARL_TEST_WORKER_NAME instead, and the task instances Airflow records say which worker
ran them (on real hosts the default, the machine's FQDN, does the same).
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    """The worker's own name, else the machine's."""
    return os.environ.get("BRIGHTPEARL_TEST_WORKER_NAME") or socket.getfqdn()
