"""`tap-brightpearl-oauth`: get the first refresh token for an OAuth app, once, by hand.

It prints the authorize URL for a person to open, receives Brightpearl's redirect on a
loopback port, exchanges the code at the token endpoint (with the same transport rules as
every request of the tap), and prints the refresh token once, or writes it to a file only
its owner can read.

    tap-brightpearl-oauth --config config.json [--port 8765] [--out refresh_token.txt]
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import os
import secrets
import sys
import threading
import typing as t
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from typing_extensions import override

from tap_brightpearl.config_checks import problems
from tap_brightpearl.errors import BrightpearlError
from tap_brightpearl.oauth import token_url
from tap_brightpearl.redact import register_secrets
from tap_brightpearl.runtime import Runtime
from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap-brightpearl-oauth")
DEFAULT_AUTHORIZE = "https://oauth.brightpearl.com/authorize/{account}"  # third-party clients agree; not documented
WAIT_SECONDS = 600


class _Callback(http.server.BaseHTTPRequestHandler):
    """Takes Brightpearl's redirect: `?code=...&state=...` (or `?error=...`)."""

    server: _CallbackServer

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if "code" not in query and "error" not in query:
            self.send_response(404)
            self.end_headers()
            return
        self.server.answer = query
        body = b"<html><body>Brightpearl authorized the tap. You can close this window.</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.done.set()

    @override
    def log_message(self, format: str, *args: object) -> None:
        """The query holds the code: never echo it."""


class _CallbackServer(http.server.HTTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Callback)
        self.answer: dict[str, str] = {}
        self.done = threading.Event()


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
    try:
        settings = _settings(args.config)
        redirect_uri = args.redirect_uri or f"http://localhost:{args.port}/callback"
        state = secrets.token_urlsafe(24)
        server = _CallbackServer(args.port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        link = authorize_url(args.authorize_url, settings, redirect_uri, state)
        print(f"Open this URL, log in to Brightpearl and allow the app:\n{link}", file=sys.stderr, flush=True)
        if not server.done.wait(WAIT_SECONDS):
            raise BrightpearlError(f"no redirect arrived on port {args.port} within {WAIT_SECONDS} s")
        server.shutdown()
        answer = server.answer
        if answer.get("state") != state:
            raise BrightpearlError("the redirect carried another state: not the authorization this command asked for")
        if "error" in answer:
            raise BrightpearlError(f"Brightpearl did not authorize the app: {answer['error']}")
        register_secrets(answer.get("code"))
        runtime = Runtime(settings, user_agent="tap-brightpearl-oauth")
        refresh = exchange(runtime, settings, answer["code"], redirect_uri)
    except (BrightpearlError, requests.RequestException, OSError, ValueError) as exc:
        LOGGER.error("%s", exc)
        return 1
    if args.out:
        descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # also when the file was already there
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(refresh + "\n")
        LOGGER.info("refresh token written to %s (readable by you only); put it in refresh_token", args.out)
    else:
        sys.stdout.write(refresh + "\n")
        sys.stdout.flush()
    return 0


def cli() -> None:
    """Console entry point."""
    sys.exit(main())
