"""`tap-brightpearl-oauth`: get the first refresh token for an OAuth app, once, by hand.

It prints the authorize URL for a person to open, receives Brightpearl's redirect on a
loopback port, exchanges the code at the token endpoint (with the same transport rules as
every request of the tap), and prints the refresh token once, or writes it to a file only
its owner can read (atomically, never through a symlink).

Any web page can make a browser send a request to the loopback port: a request whose `state`
is not the one this command made is answered 400 and the wait goes on, and every connection
has a timeout, so neither a forged callback nor an idle connection ends or blocks the flow.

    tap-brightpearl-oauth --config config.json [--port 8765] [--out refresh_token.txt]
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import typing as t
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from typing_extensions import override

from tap_brightpearl import stopping
from tap_brightpearl.config_checks import problems
from tap_brightpearl.errors import BrightpearlError
from tap_brightpearl.oauth import token_url
from tap_brightpearl.redact import register_secrets
from tap_brightpearl.runtime import Runtime
from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap-brightpearl-oauth")
DEFAULT_AUTHORIZE = "https://oauth.brightpearl.com/authorize/{account}"  # third-party clients agree; not documented
WAIT_SECONDS = 600
CONNECTION_SECONDS = 10  # one connection to the callback port: a silent one is dropped after this


class _Callback(http.server.BaseHTTPRequestHandler):
    """Takes Brightpearl's redirect: `?code=...&state=...` (or `?error=...&state=...`)."""

    server: _CallbackServer
    timeout = CONNECTION_SECONDS

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if "code" not in query and "error" not in query:
            self._reply(404, b"Not found")
            return
        if not secrets.compare_digest(query.get("state", "").encode(), self.server.state.encode()):
            LOGGER.warning("a request to the callback port carried another state: refused; still waiting")
            self._reply(
                400, b"<html><body>This is not the authorization tap-brightpearl-oauth asked for.</body></html>"
            )
            return
        if not self.server.done.is_set():
            self.server.answer = query
        self._reply(200, b"<html><body>Brightpearl answered the tap. You can close this window.</body></html>")
        self.server.done.set()

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    @override
    def log_message(self, format: str, *args: object) -> None:
        """The query holds the code: never echo it."""


class _CallbackServer(http.server.ThreadingHTTPServer):
    """One thread per connection (an idle one blocks nobody), each with a timeout."""

    daemon_threads = True

    def __init__(self, port: int, state: str) -> None:
        super().__init__(("127.0.0.1", port), _Callback)
        self.state = state
        self.answer: dict[str, str] = {}
        self.done = threading.Event()
        self._started = time.monotonic()

    def waited(self) -> float:
        """Seconds since the server started listening."""
        return time.monotonic() - self._started


def _settings(path: str) -> Settings:
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    if not isinstance(config, dict):
        raise BrightpearlError(f"{path} must hold a JSON object of settings")
    found = problems(config) + [f"{s}: required" for s in ("client_id", "account_code") if not config.get(s)]
    if found:
        raise BrightpearlError("; ".join(found))
    register_secrets(config.get("client_secret"), config.get("refresh_token"), config.get("token_encryption_key"))
    return Settings.from_config({**config, "refresh_token": None})


def authorize_url(template: str, settings: Settings, redirect_uri: str, state: str) -> str:
    """The URL a person opens to let the app read the account."""
    query = urlencode(
        {"response_type": "code", "client_id": settings.client_id, "redirect_uri": redirect_uri, "state": state}
    )
    return f"{template.format(account=settings.account_code)}?{query}"


def exchange(runtime: Runtime, settings: Settings, code: str, redirect_uri: str) -> str:
    """Trade the authorization code for tokens; return the refresh token."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": str(settings.client_id),
        "redirect_uri": redirect_uri,
        "account_code": str(settings.account_code),
    }
    if settings.client_secret:
        form["client_secret"] = settings.client_secret
    answer = runtime.post_token(token_url(settings), form)
    refresh = answer.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise BrightpearlError("the token endpoint answered without a refresh_token")
    register_secrets(refresh, answer.get("access_token"))
    return refresh


def write_private(path: str, text: str) -> None:
    """Write `text` to `path`, mode 0600, atomically: a new file renamed over it (a symlink there is replaced)."""
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".tap-brightpearl-oauth-", dir=folder)  # 0600, O_EXCL
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


_stopped: list[int] = []


def _stop(signum: int, frame: object) -> None:
    """The first SIGINT or SIGTERM ends the flow with one line; later ones are ignored (no traceback)."""
    if not _stopped:
        _stopped.append(signum)
        raise stopping.Interrupted(signum)


def main(argv: t.Sequence[str] | None = None) -> int:
    """Run the authorization-code flow for a person; 0 when a refresh token was obtained."""
    parser = argparse.ArgumentParser(prog="tap-brightpearl-oauth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="the tap's config: client_id, account_code, ...")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for Brightpearl's redirect")
    parser.add_argument("--redirect-uri", help="as registered for the app (default http://localhost:PORT/callback)")
    parser.add_argument("--authorize-url", default=DEFAULT_AUTHORIZE, help="authorize endpoint; {account} is filled")
    parser.add_argument("--out", help="write the refresh token to this file (mode 600) instead of printing it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    _stopped.clear()
    for signum in stopping.SIGNALS:
        signal.signal(signum, _stop)
    try:
        refresh = _authorize(args)
        _stopped.append(0)  # the code is spent: from here a signal must not lose the token it bought
        if args.out:
            write_private(args.out, refresh + "\n")
            LOGGER.info("refresh token written to %s (readable by you only); put it in refresh_token", args.out)
        else:
            sys.stdout.write(refresh + "\n")
            sys.stdout.flush()
    except (BrightpearlError, requests.RequestException, OSError, ValueError) as exc:
        LOGGER.error("%s", exc)
        return 1
    except stopping.Interrupted as stop:
        stopping.ignore_further()
        LOGGER.error("interrupted (%s): no refresh token was obtained", stop.signal_name)
        return stop.exit_code
    return 0


def _authorize(args: argparse.Namespace) -> str:
    """The flow itself: the URL for the person, the redirect, the code exchanged for a refresh token."""
    settings = _settings(args.config)
    redirect_uri = args.redirect_uri or f"http://localhost:{args.port}/callback"
    state = secrets.token_urlsafe(24)
    server = _CallbackServer(args.port, state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    link = authorize_url(args.authorize_url, settings, redirect_uri, state)
    print(f"Open this URL, log in to Brightpearl and allow the app:\n{link}", file=sys.stderr, flush=True)
    while not server.done.wait(0.5):  # short waits: Ctrl-C is seen at once
        if server.waited() > WAIT_SECONDS:
            raise BrightpearlError(f"no redirect arrived on port {args.port} within {WAIT_SECONDS} s")
    server.shutdown()
    answer = server.answer
    if "error" in answer:
        raise BrightpearlError(f"Brightpearl did not authorize the app: {answer['error']}")
    register_secrets(answer.get("code"))
    runtime = Runtime(settings, user_agent="tap-brightpearl-oauth")
    return exchange(runtime, settings, answer["code"], redirect_uri)


def cli() -> None:
    """Console entry point."""
    sys.exit(main())
