"""Where an OAuth app's token chain lives between runs, outside STATE (the `oauth_token_store` setting).

By default an SQLite file in the user's state directory ($XDG_STATE_HOME, else ~/.local/state,
then tap-brightpearl/oauth-tokens.sqlite3): one machine, nothing to set up. A file path names
another SQLite file; a `postgresql+psycopg://` URL puts the chain in PostgreSQL, for runs spread
over several workers. One row per (client_id, account_code) in table `tap_brightpearl_oauth`:
the sealed chain and what can be read without the key (its generation, its origin marks).

A refresh holds the row's lock from re-reading it to committing the new chain (SQLite: BEGIN
IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE), so two runs never spend one refresh token. Lock
waits poll in half-second steps, so a stopping run never sits in another run's lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from tap_brightpearl import throttle
from tap_brightpearl.errors import BrightpearlError
from tap_brightpearl.oauth_chain import MAX_GENERATION, Entry, clean_origins
from tap_brightpearl.redact import redact, register_secrets

if t.TYPE_CHECKING:
    import sqlalchemy as sa

TABLE = "tap_brightpearl_oauth"
FILE_NAME = "oauth-tokens.sqlite3"
SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")
SCHEMES = SQLITE_SCHEMES + POSTGRES_SCHEMES
STEP_SECONDS = 0.5  # one lock attempt; between attempts the run checks whether it is stopping
POSTGRES_HINT = "PostgreSQL needs the psycopg driver: pip install 'tap-brightpearl[postgres]'"


class TokenStoreError(BrightpearlError):
    """oauth_token_store cannot be used; the message names the setting and the store (never a password)."""


def default_path(environ: t.Mapping[str, str] = os.environ) -> Path:
    """$XDG_STATE_HOME/tap-brightpearl/oauth-tokens.sqlite3 (a relative XDG_STATE_HOME is ignored, as the spec says)."""
    base = environ.get("XDG_STATE_HOME") or ""
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    except RuntimeError:  # no HOME and no password entry
        raise TokenStoreError(
            "oauth_token_store: there is no home directory for the default token store; "
            "set oauth_token_store to a file path or a database URL"
        ) from None
    return root / "tap-brightpearl" / FILE_NAME


def scheme_of(setting: str) -> str | None:
    """The URL scheme of the setting, lower-case; None for a file path."""
    return setting.split("://", 1)[0].lower() if "://" in setting else None


@dataclass(frozen=True)
class _Target:
    url: str  # a SQLAlchemy URL
    where: str  # for messages: the file, or the URL without its password
    path: Path | None  # the SQLite file, if it is one


def _target(setting: str | None) -> _Target:
    import sqlalchemy as sa

    if not setting:
        path = default_path()
    elif scheme_of(setting) is None:
        path = Path(setting).expanduser()
    elif scheme_of(setting) in SQLITE_SCHEMES:
        database = sa.engine.make_url(setting).database
        if not database or database == ":memory:":
            raise TokenStoreError("oauth_token_store: an SQLite URL must name a file, like sqlite:////var/lib/tap.db")
        path = Path(database).expanduser()
    else:
        scheme = t.cast("str", scheme_of(setting))
        if scheme not in POSTGRES_SCHEMES:
            raise TokenStoreError(f"oauth_token_store: {scheme}:// cannot hold the tokens; use SQLite or PostgreSQL")
        driver = "postgresql+psycopg" if scheme in ("postgresql", "postgres") else scheme
        url = sa.engine.make_url(driver + "://" + setting.split("://", 1)[1])
        if url.password:
            register_secrets(str(url.password))
        return _Target(url.render_as_string(hide_password=False), url.render_as_string(hide_password=True), None)
    path = path.absolute()
    return _Target(f"sqlite:///{path}", str(path), path)


class Held:
    """The locked row of one refresh: what it held when locked, and the way to replace it."""

    def __init__(self, store: TokenStore, connection: sa.Connection, entry: Entry | None) -> None:
        """Only `TokenStore.locked` builds these."""
        self._store, self._connection, self.entry = store, connection, entry

    def commit(self, entry: Entry) -> None:
        """Write `entry` and commit, releasing the lock; raises TokenStoreError if it did not land."""
        try:
            self._connection.execute(self._store.upsert(entry))
            self._connection.commit()
        except Exception as exc:  # the database's own error types vary by driver
            raise self._store.failure("could not save the refreshed tokens in", exc) from None


class TokenStore:
    """The durable home of one account's token chain."""

    def __init__(self, setting: str | None, *, client_id: str, account_code: str, lock_wait: float) -> None:
        """Nothing is opened until the first read (discovery and --about never touch the store)."""
        self._setting = setting
        self._key = {"client_id": client_id, "account_code": account_code}
        self._lock_wait = lock_wait
        self._engine: sa.Engine | None = None
        self._table: sa.Table | None = None
        self.where = "the token store"

    # --- opening --------------------------------------------------------------------------
    def _open(self) -> tuple[sa.Engine, sa.Table]:
        if self._engine is not None and self._table is not None:
            return self._engine, self._table
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        try:
            target = _target(self._setting)
        except (sa.exc.ArgumentError, ValueError):
            raise TokenStoreError("oauth_token_store: not a URL SQLAlchemy can read (value not shown)") from None
        self.where = f"the token store {target.where}"
        try:
            if target.path is not None:
                _prepare_file(target.path)
                engine = sa.create_engine(target.url, poolclass=NullPool, connect_args={"timeout": STEP_SECONDS})
                sa.event.listen(engine, "connect", _sqlite_connect)
                sa.event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = sa.create_engine(target.url, poolclass=NullPool, connect_args={"connect_timeout": 15})
        except (ImportError, sa.exc.NoSuchModuleError):
            raise TokenStoreError(f"oauth_token_store: {POSTGRES_HINT}") from None
        except OSError as exc:
            raise TokenStoreError(
                f"oauth_token_store: cannot create {target.where} ({exc.strerror}); "
                "set oauth_token_store to a file path or a database URL this user can write"
            ) from None
        table = sa.Table(
            TABLE,
            sa.MetaData(),
            sa.Column("client_id", sa.String(255), primary_key=True),
            sa.Column("account_code", sa.String(255), primary_key=True),
            sa.Column("generation", sa.BigInteger, nullable=False),
            sa.Column("origins", sa.Text, nullable=False),
            sa.Column("sealed", sa.Text, nullable=False),
            sa.Column("updated_at", sa.String(40), nullable=False),
        )
        # The table is created only where it is missing, and then as a writer from the start (SQLite:
        # BEGIN IMMEDIATE): a reader turning writer while another run holds its refresh's lock is refused
        # at once ("database is locked"), where a writer waits its turn.
        deadline = time.monotonic() + self._lock_wait
        attempt = 0
        while True:
            try:
                if not sa.inspect(engine).has_table(TABLE):
                    with engine.connect().execution_options(tap_lock=True) as connection, connection.begin():
                        connection.execute(sa.schema.CreateTable(table, if_not_exists=True))
                break
            except (sa.exc.IntegrityError, sa.exc.ProgrammingError) as exc:
                # two workers creating the table at once: the loser sees it on the retry
                attempt += 1
                if attempt > 1:
                    raise self.failure("cannot create its table in", exc) from None
            except Exception as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise self.failure("cannot reach", exc) from None
        self._engine, self._table = engine, table
        return engine, table

    def failure(self, what: str, exc: BaseException) -> TokenStoreError:
        """One line naming the setting, the store and the database's reason (no password)."""
        cause = getattr(exc, "orig", None) or exc
        reason = redact(str(cause).strip().splitlines()[0][:200]) if str(cause).strip() else type(cause).__name__
        return TokenStoreError(f"oauth_token_store: {what} {self.where}: {reason}")

    # --- reading and locking --------------------------------------------------------------
    def read(self) -> Entry | None:
        """The chain as last committed (no lock)."""
        engine, table = self._open()
        connection, entry = self._attempt_until_free(engine, table, locking=False)
        connection.close()
        return entry

    @contextlib.contextmanager
    def locked(self) -> t.Iterator[Held]:
        """Hold the row's lock (waiting for another run's refresh to end); roll back unless committed."""
        engine, table = self._open()
        connection, entry = self._attempt_until_free(engine, table, locking=True)
        with connection:
            yield Held(self, connection, entry)

    def _attempt_until_free(
        self, engine: sa.Engine, table: sa.Table, *, locking: bool
    ) -> tuple[sa.Connection, Entry | None]:
        """A connection in a transaction (holding the row's lock when `locking`) and the row, one step at a time."""
        deadline = time.monotonic() + self._lock_wait
        while True:
            if throttle.STOP.is_set():
                raise throttle.Stopped("the run is stopping")
            connection: sa.Connection | None = None
            try:
                connection = engine.connect().execution_options(tap_lock=locking)
                connection.begin()
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(STEP_SECONDS * 1000)}ms'")
                    if locking:  # a row to lock, even before the first chain is saved (never committed as is)
                        connection.execute(self._insert().values(**self._values(None)).on_conflict_do_nothing())
                return connection, self._row(connection, table, locking=locking)
            except Exception as exc:
                if connection is not None:
                    connection.close()
                if not _busy(exc):
                    raise self.failure("cannot read", exc) from None
            if time.monotonic() > deadline:
                raise TokenStoreError(
                    f"oauth_token_store: another run has held the token lock of {self.where} for more than "
                    f"{self._lock_wait:.0f} s (a refresh on another worker, or a stuck connection); "
                    "no token request was sent. Run again"
                )

    def _row(self, connection: sa.Connection, table: sa.Table, *, locking: bool) -> Entry | None:
        import sqlalchemy as sa

        query = sa.select(table.c.generation, table.c.origins, table.c.sealed).where(
            table.c.client_id == self._key["client_id"], table.c.account_code == self._key["account_code"]
        )
        row = connection.execute(query.with_for_update() if locking else query).first()
        if row is None or not isinstance(row.sealed, str) or not row.sealed or not isinstance(row.generation, int):
            return None  # no chain yet (or a PostgreSQL lock's placeholder row)
        origins = clean_origins(str(row.origins or "").split())
        return Entry(row.sealed, min(max(0, row.generation), MAX_GENERATION), origins)

    # --- writing --------------------------------------------------------------------------
    def _insert(self) -> t.Any:
        _, table = self._open()
        engine = t.cast("sa.Engine", self._engine)
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _values(self, entry: Entry | None) -> dict[str, t.Any]:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        if entry is None:  # the placeholder a PostgreSQL lock holds before the first chain
            return {**self._key, "generation": -1, "origins": "", "sealed": "", "updated_at": now}
        return {
            **self._key,
            "generation": entry.generation,
            "origins": " ".join(entry.origins),
            "sealed": entry.sealed,
            "updated_at": now,
        }

    def upsert(self, entry: Entry) -> t.Any:
        """INSERT ... ON CONFLICT DO UPDATE of this account's row."""
        values = self._values(entry)
        changed = {k: v for k, v in values.items() if k not in self._key}
        return self._insert().values(**values).on_conflict_do_update(index_elements=list(self._key), set_=changed)


def _prepare_file(path: Path) -> None:
    """The directory (0700) and the file (0600) before SQLite creates them with the umask's modes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)


def _sqlite_connect(dbapi_connection: t.Any, record: t.Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's own BEGIN below, not the driver's


def _sqlite_begin(connection: sa.Connection) -> None:
    locking = connection.get_execution_options().get("tap_lock")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if locking else "BEGIN")


def _busy(exc: BaseException) -> bool:
    """Another run holds the lock: SQLite 'database is locked', PostgreSQL lock_not_available (55P03)."""
    cause = getattr(exc, "orig", None) or exc
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == "55P03" or "database is locked" in str(cause).lower()
