"""Properties of the WeCom callback decoder (query parameters, envelope JSON, signature,
base64, AES-CBC, padding, lengths, inner JSON): any input gives the decoded body or a
BadRequest with an HTTP status; a WeCom-made callback always decodes."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.transports.wecom_aibot import to_message
from bot.transports.wecom_callback import BadRequest, check_params, open_body, verify_echo
from bot.transports.wecom_crypto import DecryptError, SignatureError, WeComCrypto, pkcs7_pad
from tests.fuzz_support import corpus, hostile_text

TOKEN = "cb-token"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CRYPTO = WeComCrypto(TOKEN, AES_KEY)
NOW = 1_795_219_200
TS = str(NOW)
NAMES = ("msg_signature", "timestamp", "nonce")
BOUND = settings(deadline=2000)  # milliseconds per example
STATUSES = {400, 401, 403}

param_values = st.one_of(
    hostile_text,
    st.sampled_from([TS, "9" * 400, "-1", "+" + TS, "١٧٩٥٢١٩٢٠٠", "0" * 40, "n1", "", " "]),
    st.text(alphabet="0123456789abcdef", min_size=38, max_size=42),
)
queries = st.dictionaries(st.sampled_from([*NAMES, "echostr", "other"]), param_values)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def signed(encrypted: str, nonce: str = "n1") -> dict[str, str]:
    return {"msg_signature": CRYPTO.sign(TS, nonce, encrypted), "timestamp": TS, "nonce": nonce}


def raw_cipher(plain: bytes) -> str:
    """AES-CBC of any plaintext bytes with WeCom's key and iv (padding done by the caller)."""
    encryptor = Cipher(algorithms.AES(CRYPTO.key), modes.CBC(CRYPTO.iv)).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decode(params: dict[str, str], body: bytes) -> dict[str, Any] | None:
    try:
        checked = check_params(params, NAMES, NOW, 300)
        return open_body(CRYPTO, checked, body)
    except BadRequest as exc:
        assert exc.status in STATUSES and exc.why and "\n" not in exc.why
        return None


@BOUND
@given(queries, st.sampled_from([NAMES, (*NAMES, "echostr")]))
def test_any_query_gives_parameters_or_a_bad_request(
    query: dict[str, str], names: tuple[str, ...]
) -> None:
    try:
        params = check_params(query, names, NOW, 300)
    except BadRequest as exc:
        assert exc.status in STATUSES
        return
    assert set(params) == set(names)
    assert abs(int(params["timestamp"]) - NOW) <= 300
    if "echostr" in params:
        try:
            verify_echo(CRYPTO, params)
        except BadRequest as exc:
            assert exc.status in STATUSES


@BOUND
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_body_gives_a_callback_or_a_bad_request(body: bytes) -> None:
    assert decode(signed("AAAA"), body) is None or body.startswith(b"{")


@BOUND
@given(st.binary(max_size=200), st.integers(0, 2**32 - 1), st.binary(max_size=40))
def test_any_ciphertext_decrypts_or_is_refused(message: bytes, length: int, tail: bytes) -> None:
    """Correctly signed, but the plaintext, its length field and padding are anything."""
    for plain in (
        bytes(16) + struct.pack(">I", length) + message + tail,  # a lying length field
        pkcs7_pad(bytes(16) + struct.pack(">I", len(message)) + message + tail),
        (bytes(16) + message + tail + bytes(32))[: max(16, (len(message) // 16) * 16)],
    ):
        if len(plain) % 16:
            plain = plain + bytes(16 - len(plain) % 16)
        encrypted = raw_cipher(plain)
        body = json.dumps({"encrypt": encrypted}).encode()
        decode(signed(encrypted), body)
        with contextlib.suppress(DecryptError):
            CRYPTO.decrypt(encrypted)


@BOUND
@given(
    hostile_text,
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=100
    ),
)
def test_signatures_and_base64_never_fail_otherwise(signature: str, encrypted: str) -> None:
    with contextlib.suppress(SignatureError):
        CRYPTO.verify(signature, TS, "n1", encrypted)
    with contextlib.suppress(DecryptError):
        CRYPTO.decrypt(encrypted)


@BOUND
@given(st.dictionaries(hostile_text, json_values, max_size=5))
def test_a_wecom_made_callback_always_decodes(fields: dict[str, Any]) -> None:
    plain = json.dumps(fields)  # escapes every non-ASCII character, lone surrogates too
    encrypted = CRYPTO.encrypt(plain)
    body = json.dumps({"encrypt": encrypted}).encode()
    assert decode(signed(encrypted), body) == json.loads(plain)


message_bodies = st.fixed_dictionaries(
    {},
    optional={
        "msgid": json_values,
        "chatid": json_values,
        "chattype": st.sampled_from(["group", "single", None, 1]),
        "from": st.one_of(json_values, st.fixed_dictionaries({"userid": json_values})),
        "msgtype": st.sampled_from(["text", "voice", "mixed", "image", "stream", None]),
        "text": st.one_of(json_values, st.fixed_dictionaries({"content": json_values})),
        "mixed": json_values,
        "quote": json_values,
    },
)


@BOUND
@given(message_bodies)
def test_any_decoded_body_gives_a_message_or_none(body: dict[str, Any]) -> None:
    message = to_message(body, ("小助手",), datetime(2026, 11, 21, tzinfo=UTC))
    if message is not None:
        message.text.encode("utf-8")
        assert len(message.sender_id) <= 80 and len(message.group_id) <= 80


@pytest.mark.parametrize("case", corpus("wecom_callback"))
def test_wecom_callback_corpus(case: dict[str, Any]) -> None:
    params = {**signed("AAAA"), **case.get("params", {})}
    assert decode(params, case["body"].encode("utf-8", "surrogatepass")) is None
