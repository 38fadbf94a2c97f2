"""WeCom callback crypto, checked against vectors from independent implementations."""

from __future__ import annotations

import base64
import json

import pytest

from bot.transports.wecom_crypto import (
    DecryptError,
    SignatureError,
    WeComCrypto,
    pkcs7_pad,
    pkcs7_unpad,
    signature,
)

# The sample from WeCom's own WXBizMsgCrypt distribution (URL verification of a self-built app).
SAMPLE_TOKEN = "QDG6eK"
SAMPLE_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SAMPLE_CORP = "wx5823bf96d3bd56c7"
SAMPLE_SIG = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
SAMPLE_TS = "1409659589"
SAMPLE_NONCE = "263014780"
SAMPLE_ECHO = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)

# Produced once by wechatpy 1.8.18 (PrpCrypto.encrypt with receiveid "" and its signer), so this
# checks our decryption against another implementation even where wechatpy is not installed.
WECHATPY_ENCRYPT = (
    "okQQiIzjitB6KOs/LSJ/AUXQVV4miGFQ0ZQEHuyE42iDCKG1hA21O6pJRhQH/STKAQafnMR7vCEiUuYExF6y22iX"
    "DoIk28Lx6vV7qozacWg9NRvAW5GFjgZjZSVRGSU978HZJy8UEhH/F0kR4igoQz+Gp98QNN+XIZ97ya2k0VGaJBgu"
    "yyczdP6eh6O6kK+kDWfW7TU+Ax69IAaLTJd7FY2aRtH68hzqzeXr2uVedElOkMq1lcU9/7Tngo3UZMQ7"
)
WECHATPY_SIG = "37041746dbc8500146b5c066078397a2be4fc304"
WECHATPY_PLAIN = {
    "msgid": "m1",
    "chatid": "c1",
    "chattype": "group",
    "from": {"userid": "u1"},
    "msgtype": "text",
    "text": {"content": "@小助手 打卡 你好"},
}


def test_official_sample_url_verification() -> None:
    crypto = WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP)
    assert crypto.verify_url(SAMPLE_SIG, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ECHO) == (
        "1616140317555161061"
    )


def test_official_sample_rejects_the_wrong_receiveid() -> None:
    crypto = WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, "")  # an AI bot expects ""
    with pytest.raises(DecryptError, match="receiveid"):
        crypto.verify_url(SAMPLE_SIG, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ECHO)


def test_hardcoded_wechatpy_vector_opens() -> None:
    crypto = WeComCrypto("tok", SAMPLE_KEY)
    assert crypto.sign("1700000000", "nonce1", WECHATPY_ENCRYPT) == WECHATPY_SIG
    plain = crypto.open(WECHATPY_SIG, "1700000000", "nonce1", WECHATPY_ENCRYPT)
    assert json.loads(plain) == WECHATPY_PLAIN


def test_signature_is_sorted_sha1() -> None:
    # sorted: "1409659589" < "263014780" < "P9n..." < "QDG6eK"
    assert signature(SAMPLE_TOKEN, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ECHO) == SAMPLE_SIG
    # order of arguments does not matter
    assert signature(SAMPLE_ECHO, SAMPLE_NONCE, SAMPLE_TS, SAMPLE_TOKEN) == SAMPLE_SIG


def test_bad_signature_is_rejected() -> None:
    crypto = WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP)
    forged = "0" * 40
    with pytest.raises(SignatureError):
        crypto.verify_url(forged, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ECHO)
    with pytest.raises(SignatureError):  # a changed timestamp breaks the signature too
        crypto.verify_url(SAMPLE_SIG, "1409659590", SAMPLE_NONCE, SAMPLE_ECHO)
    with pytest.raises(SignatureError):  # non-ASCII garbage does not crash the comparison
        crypto.verify_url("签名", SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ECHO)


@pytest.mark.parametrize(
    "bad",
    [
        "not base64 !!!",
        base64.b64encode(b"short").decode(),  # not a multiple of 16
        base64.b64encode(bytes(32)).decode(),  # decrypts to garbage padding
        "",
    ],
)
def test_malformed_ciphertext_is_a_decrypt_error(bad: str) -> None:
    crypto = WeComCrypto("tok", SAMPLE_KEY)
    with pytest.raises(DecryptError):
        crypto.decrypt(bad)


def test_tampered_ciphertext_never_yields_the_message() -> None:
    crypto = WeComCrypto("tok", SAMPLE_KEY)
    raw = bytearray(base64.b64decode(WECHATPY_ENCRYPT))
    raw[-1] ^= 0x01  # flips the padding of the last block
    with pytest.raises(DecryptError):
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())


def test_pkcs7_uses_32_byte_blocks() -> None:
    assert len(pkcs7_pad(b"")) == 32 and pkcs7_pad(b"")[-1] == 32
    assert pkcs7_pad(b"x" * 31) == b"x" * 31 + b"\x01"
    assert len(pkcs7_pad(b"x" * 32)) == 64  # a full block of padding
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"x" * 31 + b"\x21")  # 33 > block size
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"x" * 30 + b"\x01\x02")  # inconsistent padding bytes


def test_round_trip_and_length_field() -> None:
    crypto = WeComCrypto("tok", SAMPLE_KEY)
    for message in ["", "a", "中文😀" * 50, "x" * (32 * 3 - 20)]:
        assert crypto.decrypt(crypto.encrypt(message)).decode() == message


def test_bad_keys_are_clear_config_errors() -> None:
    with pytest.raises(ValueError, match="43 characters"):
        WeComCrypto("tok", "short")
    with pytest.raises(ValueError, match="base64"):
        WeComCrypto("tok", "!" * 43)
    with pytest.raises(ValueError, match="Token"):
        WeComCrypto("", SAMPLE_KEY)


# --- live cross-checks against wechatpy (an independent implementation) -------------------


def test_wechatpy_decrypts_what_we_encrypt() -> None:
    wechatpy_crypto = pytest.importorskip("wechatpy.crypto")
    ours = WeComCrypto("tok", SAMPLE_KEY)
    prp = wechatpy_crypto.PrpCrypto(base64.b64decode(SAMPLE_KEY + "="))
    for message in ["hi", "中文 @小助手", "x" * 12, "y" * 44]:  # 44+20 = 64: full padding block
        encrypted = ours.encrypt(message)
        assert prp.decrypt(encrypted, "") == message  # wechatpy returns text
        assert wechatpy_crypto._get_signature("tok", "123", "n", encrypted) == ours.sign(
            "123", "n", encrypted
        )


def test_we_decrypt_what_wechatpy_encrypts() -> None:
    wechatpy_crypto = pytest.importorskip("wechatpy.crypto")
    ours = WeComCrypto("tok", SAMPLE_KEY, "corp1")
    prp = wechatpy_crypto.PrpCrypto(base64.b64decode(SAMPLE_KEY + "="))
    for message in ["hi", json.dumps(WECHATPY_PLAIN, ensure_ascii=False), "z" * 300]:
        encrypted = prp.encrypt(message, "corp1").decode()
        assert ours.decrypt(encrypted).decode() == message


def test_sealed_reply_opens_with_wechatpy() -> None:
    wechatpy_enterprise = pytest.importorskip("wechatpy.enterprise.crypto")
    ours = WeComCrypto("tok", SAMPLE_KEY)
    envelope = ours.seal('{"msgtype":"stream"}', nonce="abc", timestamp="1700000001")
    assert envelope["timestamp"] == 1700000001 and envelope["nonce"] == "abc"
    theirs = wechatpy_enterprise.WeChatCrypto("tok", SAMPLE_KEY, "")
    plain = theirs.decrypt_message(
        {"Encrypt": envelope["encrypt"]}, envelope["msgsignature"], "1700000001", "abc"
    )
    assert plain == '{"msgtype":"stream"}'
