"""The one signer for every Brightpearl token, and the authenticators built on it.

Brightpearl asks apps to store only unsigned tokens and to sign them when they call;
every signed header this tap sends comes from `sign`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import typing as t

from singer_sdk.authenticators import APIAuthenticatorBase
from typing_extensions import override

if t.TYPE_CHECKING:
    import requests

from tap_brightpearl.redact import register_secrets


def sign(token: str, secret: str) -> str:
    """Return base64(HMAC-SHA256(key=secret, message=token)), both taken as UTF-8 text.

    The secret is used as text, not base64-decoded: that is Brightpearl's published rule.
    """
    digest = hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class HeaderAuthenticator(APIAuthenticatorBase):
    """Brightpearl's credentials are headers only: the URL goes out exactly as the URL builder made it.

    The SDK's own `authenticate_request` also rebuilds every URL around its query parameters
    (none here): ~20 us of CPU a request, a fortieth of a timezone request's (bench/RESULTS.md, B10).
    """

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add `auth_headers`."""
        request.headers.update(self.auth_headers)
        return request


class DeveloperTokenAuthenticator(HeaderAuthenticator):
    """Adds `brightpearl-dev-ref`, `brightpearl-app-ref` and the signed `brightpearl-dev-token` to a request.

    installed-accounts needs all three (Brightpearl's reference page); account-timezone is
    documented with the first and the last, and takes the app reference beside them.
    """

    def __init__(
        self, *, developer_reference: str, app_reference: str, developer_token: str, developer_secret: str
    ) -> None:
        """Sign the developer token once per run; the signature never changes within one."""
        super().__init__()
        signed = sign(developer_token, developer_secret)
        register_secrets(developer_token, developer_secret, signed)
        self.developer_reference = developer_reference
        self.auth_headers = {
            "brightpearl-dev-ref": developer_reference,
            "brightpearl-app-ref": app_reference,
            "brightpearl-dev-token": signed,
        }

    def __repr__(self) -> str:
        """Name the developer, never the token."""
        return f"DeveloperTokenAuthenticator(developer_reference={self.developer_reference!r})"


class AccountTokenAuthenticator(HeaderAuthenticator):
    """A public app's call into one installed account: the account token, signed at request time."""

    def __init__(
        self, *, developer_reference: str, app_reference: str, unsigned_account_token: str, developer_secret: str
    ) -> None:
        """Keep the unsigned token only; Brightpearl advises signing when calling.

        The signature is deterministic, so it is registered for masking once, here,
        rather than on every request.
        """
        super().__init__()
        register_secrets(unsigned_account_token, sign(unsigned_account_token, developer_secret))
        self._unsigned = unsigned_account_token
        self._secret = developer_secret
        self.auth_headers = {"brightpearl-dev-ref": developer_reference, "brightpearl-app-ref": app_reference}

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the reference headers and a freshly signed `brightpearl-account-token`."""
        super().authenticate_request(request)
        request.headers["brightpearl-account-token"] = sign(self._unsigned, self._secret)
        return request

    def __repr__(self) -> str:
        """Never show a token."""
        return "AccountTokenAuthenticator()"


class PrivateAppAuthenticator(HeaderAuthenticator):
    """A private (legacy) app: the app reference plus an account token or a staff token, sent as issued."""

    def __init__(self, *, app_reference: str, token: str, kind: t.Literal["account", "staff"]) -> None:
        """Private-app tokens are not signed: Brightpearl issues them ready to send."""
        super().__init__()
        register_secrets(token)
        header = "brightpearl-account-token" if kind == "account" else "brightpearl-staff-token"
        self.auth_headers = {"brightpearl-app-ref": app_reference, header: token}

    def __repr__(self) -> str:
        """Never show a token."""
        return "PrivateAppAuthenticator()"
