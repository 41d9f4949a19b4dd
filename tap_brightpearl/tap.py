"""tap-brightpearl: the Singer tap. Settings, stream order, the run, and its one-line failures."""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import math
import os
import sys
import typing as t

import jsonschema
import requests
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_brightpearl import about_streams, logs, setup_check, stopping
from tap_brightpearl.config_checks import env_problems, problems, reserved_stream_names
from tap_brightpearl.datacenters import DatacentreConfigError
from tap_brightpearl.errors import AuthenticationError, BrightpearlError
from tap_brightpearl.redact import redact, register_secrets
from tap_brightpearl.rows import setting_problems
from tap_brightpearl.runtime import Runtime, mode_class
from tap_brightpearl.selection import selection_problems, unknown_settings
from tap_brightpearl.settings import SECRET_SETTINGS, Settings, config_schema
from tap_brightpearl.state_rules import check_state
from tap_brightpearl.stream_list import BUILTIN_NAMES, DEVELOPER_TOOLS_STREAMS, account_rows
from tap_brightpearl.streams.row_stream import RowStream
from tap_brightpearl.transport import describe_transport_failure
from tap_brightpearl.writer import ChunkedMsgSpecWriter

if t.TYPE_CHECKING:
    import click

    from tap_brightpearl.client import BrightpearlStream


class _NonFinite(str):
    """A NaN or Infinity the JSON text held (standard JSON has neither)."""


def _non_finite_paths(value: object, path: str = "") -> t.Iterator[tuple[str, str]]:
    if isinstance(value, _NonFinite):
        yield path or "(the whole file)", str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite_paths(item, f"{path}[{index}]")


def _strict_json(text: str, what: str) -> t.Any:
    """Parse JSON as the standard says: NaN and Infinity are not numbers a file may hold."""
    try:
        parsed = json.loads(text, parse_constant=_NonFinite)
    except ValueError as exc:
        raise BrightpearlError(f"{what} is not valid JSON ({str(exc).split(':')[0]})") from None
    for path, token in _non_finite_paths(parsed):
        raise BrightpearlError(f"{what}: {path} is {token}, which is not a number JSON allows; write a finite number")
    return parsed


def _where_in_config(config: t.Mapping[str, t.Any], path: list[t.Any]) -> str:
    """Where a schema error is: `custom_streams[1] ('stock_corrections').detail_cap`, `max_concurrency`."""
    if not path:
        return "config"
    where, value = str(path[0]), config.get(str(path[0]))
    for step in path[1:]:
        where += f"[{step}]" if isinstance(step, int) else f".{step}"
        try:
            value = value[step]
        except (LookupError, TypeError):
            value = None
        if isinstance(step, int) and isinstance(value, dict) and isinstance(value.get("name"), str):
            where += f" ({value['name']!r})"
    return where


class RunFailedError(BrightpearlError):
    """One or more selected streams failed; the message names them and what to do."""


class TapBrightpearl(Tap):
    """Brightpearl app developers' data (installs, timezones) and each account's business data."""

    name = "tap-brightpearl"
    message_writer_class = ChunkedMsgSpecWriter  # msgspec lines, RECORDs flushed in chunks
    config_jsonschema = config_schema()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Register secrets before anything can log them; the SDK then validates and loads state."""
        config = kwargs.get("config")
        if isinstance(config, dict):
            register_secrets(*(config.get(k) for k in SECRET_SETTINGS))
        super().__init__(*args, **kwargs)
        register_secrets(*(self.config.get(k) for k in SECRET_SETTINGS))
        self.runtime.writer = self.message_writer
        self.runtime.mode.on_new_tokens = self._write_state_now
        logs.tidy(plugin_logger=self.logger, log_metrics=self.runtime.settings.log_metrics)

    # --- settings -----------------------------------------------------------------------
    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """JSON Schema, then the checks it cannot make; a message names a setting, never a secret."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        _numbers_from_text(self._config, schema)
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        errors: list[str] = []
        for error in validator.iter_errors(dict(self._config)):
            setting = str(error.path[0]) if error.path else ""
            if setting in (*SECRET_SETTINGS, "https_proxy", "oauth_token_store"):
                errors.append(f"{setting}: invalid value ({error.validator} check failed; value not shown)")
            else:
                errors.append(redact(f"{_where_in_config(self._config, list(error.path))}: {error.message}"))
        errors += problems(self._config)
        errors += mode_class(self._config).problems(self._config)
        errors += setting_problems(self._config.get("custom_streams"), BUILTIN_NAMES)
        errors += reserved_stream_names(self._config.get("custom_streams"), BUILTIN_NAMES)
        for line in unknown_settings(self._config, schema):
            self.logger.warning("%s", line)
        if not errors:
            try:
                self.runtime.datacentres.require("data_center", self.runtime.settings.data_center)
                for account, code in self.runtime.settings.account_data_centers.items():
                    self.runtime.datacentres.require(f"account_data_centers[{account!r}]", code)
            except DatacentreConfigError as exc:
                errors.append(str(exc))
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors, schema=schema)
        return errors

    @functools.cached_property
    def runtime(self) -> Runtime:
        """The run's shared parts, built once from the validated settings."""
        try:
            return Runtime(Settings.from_config(self.config), user_agent=f"{self.name}/{self.plugin_version}")
        except DatacentreConfigError as exc:
            raise ConfigValidationError(str(exc), errors=[str(exc)]) from None

    # --- streams ------------------------------------------------------------------------
    @override
    def discover_streams(self) -> list[BrightpearlStream]:
        """installed_accounts and account_timezones (where the mode has them), the account rows, custom_streams."""
        developer = DEVELOPER_TOOLS_STREAMS if self.runtime.mode.developer_tools else ()
        rows = account_rows(self.runtime.settings.custom_streams)
        return [
            *(kind(self, self.runtime) for kind in developer),
            *(RowStream(self, self.runtime, row) for row in rows),
        ]

    @override
    def load_streams(self) -> list[BrightpearlStream]:
        """The streams in their documented order (the SDK would sort them by name)."""
        return t.cast("list[BrightpearlStream]", self.discover_streams())

    # --- state --------------------------------------------------------------------------
    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """Check a state file before trusting it: junk stops the run naming the key; future bookmarks come back."""
        check_state(state, now=self.runtime.started, ceiling=self.runtime.ceiling)
        super().load_state(state)
        self.runtime.remember_from(state)

    def _write_state_now(self) -> None:
        """New OAuth tokens: into state and out as a STATE at once, before any further record."""
        self.runtime.mode.keep_in(self.state)
        self.state_writer.write_state(self.state)

    # --- the run ------------------------------------------------------------------------
    @override
    def _setup_signal_handlers(self) -> None:
        """SIGINT and SIGTERM stop the run the tap's way (stopping.py), not with the SDK's exit 0 (sdk_private.py)."""
        stopping.install()

    @override
    def sync_all(self) -> None:
        """Every selected stream in order; a failing stream stops no other; then the summary.

        SIGINT or SIGTERM ends it with the last STATE and a summary marked interrupted (the
        exit status is set by `_one_line_failures`).
        """
        problems = selection_problems(self.input_catalog, self.streams)
        if problems:
            raise BrightpearlError("; ".join(problems))
        report = self.runtime.report
        try:
            try:
                self.runtime.mode.prepare()
            except AuthenticationError as exc:
                raise BrightpearlError(f"{exc}. {self.runtime.mode.credential_hint}") from None
            # What start-up built (the SDK, schemas, catalog, settings) lives for the whole run: out of
            # the collector's way, so its collections walk only what the records create.
            gc.freeze()
            super().sync_all()
        except stopping.Interrupted as stop:
            with stopping.shielded():
                self._end_of_run(interrupted=stop.signal_name)
            raise
        with stopping.shielded():
            self._end_of_run()
        if report.failed:
            raise RunFailedError(report.failure_message())

    def _end_of_run(self, *, interrupted: str | None = None) -> None:
        """The last STATE (datacentres and tokens included), then the summary."""
        self.runtime.remember_into(self.state)
        self.state_writer.write_state(self.state)
        self.runtime.report.summarize(interrupted=interrupted)

    # --- the command line ---------------------------------------------------------------
    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:  # type: ignore[override]
        """Run the tap; a failure ends with one clear ERROR line and exit status 1."""
        with cls._one_line_failures():
            for name, what in (("state", "the state file"), ("catalog", "the catalog file")):
                if kwargs.get(name) is not None:  # read strictly here: the SDK would print a traceback
                    text = kwargs[name].read()
                    _strict_json(text, what)
                    kwargs[name] = io.StringIO(text)
            super().invoke(*args, **kwargs)

    @classmethod
    @override
    def print_about(cls, output_format: str | None = None) -> None:
        """The SDK's about, with every stream, its key and replication (about_streams.py)."""
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            super().print_about(output_format)
        print(about_streams.render(buffer.getvalue(), output_format))

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """Read config files strictly: a bad file is one ERROR line, not a traceback."""
        with cls._one_line_failures():
            for path in value:
                if path == "ENV":  # the SDK converts these with int() and json.loads: check first
                    schema = cls.config_jsonschema
                    cls.append_builtin_config(schema)
                    found = env_problems(schema, f"{cls.name.upper().replace('-', '_')}_", os.environ)
                    if found:
                        raise ConfigValidationError("Config validation failed", errors=found)
                    continue
                try:
                    with open(path, encoding="utf-8") as handle:
                        text = handle.read()
                except OSError as exc:
                    raise BrightpearlError(f"the config file {path} cannot be read ({exc.strerror})") from None
                if not isinstance(_strict_json(text, f"the config file {path}"), dict):
                    raise BrightpearlError(f"the config file {path} must hold a JSON object of settings")
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """Discovery makes no request (Meltano runs it before every run); config errors are one line."""
        with cls._one_line_failures():
            super().cb_discover(ctx, param, value)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: the setup check (see setup_check.py); one line on failure, none at ERROR on success."""
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        with cls._one_line_failures():
            given = ctx.params["config"]
            checked = cls(config=given.config, parse_env_config=given.parse_env, validate_config=True)
            tap = cls(config=setup_check.capped(checked.config), parse_env_config=False, validate_config=True)
            try:
                passed = setup_check.run(tap.runtime)
            except setup_check.SetupCheckError as exc:
                raise BrightpearlError(f"Setup check failed: {exc}") from None
        cls.logger.info("Setup check passed: %s", passed)
        ctx.exit(0)

    @classmethod
    @contextlib.contextmanager
    def _one_line_failures(cls) -> t.Iterator[None]:
        """Turn every failure this tap knows into one ERROR line and exit status 1 (a stop signal: 130 or 143)."""
        try:
            yield
        except stopping.Interrupted as stop:
            cls.logger.warning(
                "Interrupted by %s: the run stopped after its last STATE; run it again to resume (exit status %d)",
                stop.signal_name,
                stop.exit_code,
            )
            stopping.ignore_further()
            sys.exit(stop.exit_code)
        except ConfigValidationError as exc:
            cls.logger.error("Config validation failed: %s", redact("; ".join(exc.errors or [str(exc)])))
            sys.exit(1)
        except BrightpearlError as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)
        except requests.exceptions.RequestException as exc:
            cls.logger.error("%s", describe_transport_failure(exc))
            sys.exit(1)
        except BrokenPipeError:
            _quiet_stdout()
            cls.logger.info("The reader of the output closed it; stopping")
            sys.exit(0)


def _numbers_from_text(config: dict[str, t.Any], schema: dict[str, t.Any]) -> None:
    """Read a number setting given as text ("0.5", as Meltano passes environment values) as that number."""
    for name, declared in schema.get("properties", {}).items():
        value = config.get(name)
        kinds = declared.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(value, str) or not {"number", "integer"} & set(kinds):
            continue
        try:
            number = float(value.strip())
        except ValueError:
            continue  # the schema check names the setting
        if math.isfinite(number):
            config[name] = int(number) if number.is_integer() and "integer" in kinds else number


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush finds no closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    TapBrightpearl.cli()  # the installed command is cli.py's main
