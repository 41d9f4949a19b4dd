"""A real Airflow 3 deployment with the CeleryExecutor, started and stopped by one test.

The components of orchestrate/airflow/README.md's "Deploying with Celery", each a process (and
process group) of this cluster: an api-server (UI, REST API, and the execution API the workers
report to), a dag-processor, a scheduler and N Celery workers. The metadata database is a
PostgreSQL database made for this cluster and dropped afterwards; the Celery broker is Redis,
under a key prefix and a queue of this cluster's own, so nothing collides with another test or
engineer on the same Redis. The api-server's port is picked free at start; the schedulers and
workers serve no logs (they share this machine's log folder).

`stop()` ends every process the cluster started, the tasks' own sessions included (BashOperator
starts `meltano` with setsid): each carries a marker in its environment, and only processes
with this cluster's marker are signalled, by pid.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")
MARKER = "BRIGHTPEARL_TEST_CLUSTER"
WORKER_NAME = "BRIGHTPEARL_TEST_WORKER_NAME"
# Holds bp_worker_name.hostname, Airflow's hostname_callable here: each worker names itself.
WORKER_SITE = Path(__file__).resolve().parent / "airflow_worker"
STOP_GRACE = 20.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_ping(url: str) -> str | None:
    """None if Redis answers PING at `url`, else why not (one line)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return f"Redis not reachable at {parts.hostname}:{parts.port}: {exc}"
    return None if answer.startswith(b"+PONG") else f"Redis at {parts.hostname}:{parts.port} answered {answer[:40]!r}"


def with_database(url: str, name: str, scheme: str | None = None) -> str:
    """`url` pointing at database `name` (and a SQLAlchemy driver scheme, if given)."""
    parts = urlsplit(url)
    return urlunsplit((scheme or parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def database_name(prefix: str) -> str:
    """A database name no other test or engineer uses: `<prefix>_<random>`."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def scratch_database(pg_url: str, name: str) -> Iterator[str]:
    """The PostgreSQL database `name`, made here and dropped afterwards (connections and all)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def marked_pids(token: str) -> list[int]:
    """Processes whose environment carries this cluster's marker (never this test process)."""
    needle = f"{MARKER}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@dataclass
class Component:
    """One long-running Airflow process of the cluster, logging to its own file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def tail(self, chars: int = 3000) -> str:
        """The end of its log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}) ---\n{text[-chars:]}"


class AirflowCluster:
    """Airflow 3 from `venv`, CeleryExecutor, `workers` Celery workers of `concurrency` slots each.

    `extra_env` reaches every component (the DAG module reads its variables where the DAG is
    parsed: the dag-processor for scheduling, the worker for the task).
    """

    def __init__(
        self,
        venv: Path,
        home: Path,
        pg_url: str,
        redis_url: str,
        dags: Path,
        extra_env: dict[str, str],
        *,
        workers: int = 2,
        concurrency: int = 2,
    ) -> None:
        """Name everything this cluster will own (database, key prefix, queue, port); start() makes them."""
        self.venv = venv
        self.home = home
        self.pg_url = pg_url
        self.redis_url = redis_url
        self.token = uuid.uuid4().hex[:10]
        self.database = f"bp_airflow_{self.token}"
        self.key_prefix = f"bp-airflow-{self.token}:"  # every Redis key of this cluster's broker
        self.queue = f"bp-airflow-{self.token}"  # the Celery queue the scheduler sends to, the workers read
        self.port = free_port()
        self.env = {**self._environment(dags), **extra_env}
        self.worker_names = [f"worker-{i + 1}" for i in range(workers)]  # task_instance.hostname
        self.components = [
            self._component("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.port)]),
            self._component("dag-processor", ["dag-processor"]),
            self._component("scheduler", ["scheduler", "--skip-serve-logs"]),
        ]
        for name in self.worker_names:
            argv = ["celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", str(concurrency)]
            argv += ["--queues", self.queue, "--skip-serve-logs", "--without-gossip", "--without-mingle"]
            # Both workers share this machine's hostname: each names itself (bp_worker_name.hostname).
            worker_env = {
                WORKER_NAME: name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "bp_worker_name.hostname",
                "PYTHONPATH": str(WORKER_SITE),
            }
            self.components.append(self._component(name, argv, worker_env))
        self._database = scratch_database(pg_url, self.database)
        self._database_made = False

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> AirflowCluster:
        """Make the metadata database, migrate it, start every component and wait until all are up."""
        self._database.__enter__()
        self._database_made = True
        self.home.mkdir(parents=True, exist_ok=True)
        migrate = self.cli("db", "migrate", timeout=600)
        assert migrate.returncode == 0, f"airflow db migrate failed:\n{migrate.stdout[-4000:]}"
        for component in self.components:
            component.proc = subprocess.Popen(
                [str(self.venv / "bin" / "airflow"), *component.argv],
                env={**os.environ, **component.env},
                cwd=self.home,
                stdout=component.log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, signalled as one
            )
        self.wait("the api-server, scheduler and dag-processor to report healthy", self._healthy, timeout=300)
        for component in self.components[3:]:
            self.wait(f"{component.name} to be ready", lambda c=component: b" ready." in c.log.read_bytes(), 300)
        return self

    def stop(self) -> None:
        """SIGTERM every component's group, then SIGKILL what is left of this cluster; drop its state."""
        running = [c.proc for c in self.components if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in running:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        for pid in marked_pids(self.token):  # tasks' meltano sessions, orphans of a killed worker
            _signal_pid(pid, signal.SIGKILL)
        self._clean_redis()
        if self._database_made:
            self._database_made = False
            self._database.__exit__(None, None, None)

    def __enter__(self) -> AirflowCluster:
        """Start; a failed start stops whatever did start."""
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop, whatever happened in the block."""
        self.stop()

    # -- using it ------------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run the `airflow` CLI against this cluster, output and errors together."""
        return subprocess.run(
            [str(self.venv / "bin" / "airflow"), *args],
            env={**os.environ, **self.env},
            cwd=self.home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows from the metadata database (read-only use: task instances, runs, import errors)."""
        import psycopg

        with psycopg.connect(with_database(self.pg_url, self.database), autocommit=True) as conn:
            return list(conn.execute(query, params).fetchall())

    def wait(self, what: str, ready: Callable[[], T], timeout: float, interval: float = 1.0) -> T:
        """Poll `ready` (sleeping between polls) until it is truthy; fail if a component died or time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            self.assert_running()
            value = ready()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.tails()}")
            time.sleep(interval)

    def assert_running(self) -> None:
        """Every component is still up; else fail with its log."""
        for component in self.components:
            if component.proc is not None and component.proc.poll() is not None:
                raise AssertionError(
                    f"Airflow {component.name} exited with {component.proc.returncode}\n{component.tail()}"
                )

    def tails(self, chars: int = 2000) -> str:
        """The end of every component's log, for failure messages."""
        return "\n".join(c.tail(chars) for c in self.components)

    # -- internals -----------------------------------------------------------------------------
    def _component(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Component:
        return Component(name, argv, {**self.env, **(env or {})}, self.home / f"{name}.log")

    def _environment(self, dags: Path) -> dict[str, str]:
        """The configuration every component shares (README: "Deploying with Celery")."""
        metadata = with_database(self.pg_url, self.database, "postgresql+psycopg2")
        base_url = f"http://127.0.0.1:{self.port}"
        return {
            MARKER: self.token,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),  # the same on api-server and scheduler
            "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata,
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": self.key_prefix,
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            # Only triggered runs: unpaused, the @daily DAGs would also get a scheduled run each.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # Parse once at start; nothing changes the DAG files during a test.
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "PYTHONWARNINGS": "ignore",
        }

    def _healthy(self) -> bool:
        """The api-server answers, and reports the scheduler and dag-processor healthy."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/monitor/health", timeout=5) as reply:
                health = json.load(reply)
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return all(
            (health.get(part) or {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "dag_processor")
        )

    def _clean_redis(self) -> None:
        """Delete the broker's keys (all under this cluster's prefix) with the redis client Celery uses."""
        code = (
            "import redis, sys\n"
            "r = redis.Redis.from_url(sys.argv[1])\n"
            "keys = list(r.scan_iter(match=sys.argv[2] + '*'))\n"
            "if keys: r.delete(*keys)\n"
        )
        subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code, self.redis_url, self.key_prefix],
            capture_output=True,
            timeout=60,
            check=False,
        )


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _signal_pid(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)
