"""The one signer for every Brightpearl token, and the authenticators built on it.

Brightpearl asks apps to store only unsigned tokens and to sign them when they call;
every signed header this tap sends comes from `sign`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from singer_sdk.authenticators import APIAuthenticatorBase

from tap_brightpearl.redact import register_secrets


def sign(token: str, secret: str) -> str:
    """Return base64(HMAC-SHA256(key=secret, message=token)), both taken as UTF-8 text.

    The secret is used as text, not base64-decoded: that is Brightpearl's published rule.
    """
    digest = hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DeveloperTokenAuthenticator(APIAuthenticatorBase):
    """Adds `brightpearl-dev-ref` and the signed `brightpearl-dev-token` to a request."""

    def __init__(self, *, developer_reference: str, developer_token: str, developer_secret: str) -> None:
        """Sign the developer token once per run; the signature never changes within one."""
        super().__init__()
        signed = sign(developer_token, developer_secret)
        register_secrets(developer_token, developer_secret, signed)
        self.developer_reference = developer_reference
        self.auth_headers = {
            "brightpearl-dev-ref": developer_reference,
            "brightpearl-dev-token": signed,
        }

    def __repr__(self) -> str:
        """Name the developer, never the token."""
        return f"DeveloperTokenAuthenticator(developer_reference={self.developer_reference!r})"
