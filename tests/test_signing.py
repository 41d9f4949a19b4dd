"""The one signer: Brightpearl's published vector, and the header it produces."""

from __future__ import annotations

import logging

from tap_brightpearl.auth import DeveloperTokenAuthenticator, sign
from tests.conftest import DEV_SECRET, DEV_TOKEN, SIGNED


def test_sign_matches_brightpearls_published_vector():
    token = "MlcTe8zimMPgYf/batW+ckJEAj467bbapA0cQBx6WwM="
    secret = "irhkVURWuLDYZwziDKhCsSGYrczWtfL7Pz5oX2GRDXo="
    assert sign(token, secret) == "llWnSJurpSUUTLNOtVd8Ik/ox6+4OVY/TdLSvE1+VWg="


def test_secret_is_used_as_text_not_base64_decoded():
    # Changing one character of the secret's text changes the signature, even where the
    # base64-decoded bytes would be identical ("=" padding variants decode the same).
    assert sign("t", "abcd") != sign("t", "abcd=")


def test_authenticator_sends_signed_token_dev_and_app_ref_and_hides_them_in_repr():
    auth = DeveloperTokenAuthenticator(
        developer_reference="devref", app_reference="app", developer_token=DEV_TOKEN, developer_secret=DEV_SECRET
    )
    # installed-accounts needs all three (Brightpearl's reference page)
    assert auth.auth_headers == {
        "brightpearl-dev-ref": "devref",
        "brightpearl-app-ref": "app",
        "brightpearl-dev-token": SIGNED,
    }
    assert DEV_TOKEN not in repr(auth) and SIGNED not in repr(auth) and DEV_SECRET not in repr(auth)


def test_registered_secrets_are_masked_in_any_log_line(caplog):
    DeveloperTokenAuthenticator(
        developer_reference="r", app_reference="a", developer_token=DEV_TOKEN, developer_secret=DEV_SECRET
    )
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.anything").debug("header was %s and %s", SIGNED, DEV_SECRET)
        try:
            raise ValueError(f"boom {DEV_TOKEN}")
        except ValueError:
            logging.getLogger("x").exception("failed")
    text = caplog.text
    assert "header was *** and ***" in text
    assert DEV_TOKEN not in text and SIGNED not in text and DEV_SECRET not in text
