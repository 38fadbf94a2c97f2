"""WeCom callback crypto: message signatures and AES-256-CBC envelopes (our own, on `cryptography`).

The scheme (WeCom "回调和回复的加解密方案"):

- signature = sha1 of the sorted concatenation of token, timestamp, nonce and the encrypted text,
  compared in constant time;
- key = base64-decode(EncodingAESKey + "="), 32 bytes; iv = key[:16]; AES-256-CBC;
- plaintext = 16 random bytes + 4-byte big-endian length + message + receiveid, padded with
  PKCS#7 to a multiple of 32 bytes. receiveid is "" for AI bots (the CorpID for self-built apps).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeCom pads to 32 bytes, not the AES block size of 16


class WeComCryptoError(Exception):
    """A callback that cannot be trusted or read."""


class SignatureError(WeComCryptoError):
    """The msg_signature does not match."""


class DecryptError(WeComCryptoError):
    """The encrypted text is malformed, padded wrongly, or meant for another receiver."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 hex digest of the sorted concatenation of the four strings."""
    parts = sorted([token, str(timestamp), str(nonce), encrypt])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    amount = block - len(data) % block
    return data + bytes([amount]) * amount


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    if not data:
        raise DecryptError("empty plaintext")
    amount = data[-1]
    if amount < 1 or amount > block or amount > len(data):
        raise DecryptError(f"bad PKCS#7 padding byte {amount}")
    if data[-amount:] != bytes([amount]) * amount:
        raise DecryptError("bad PKCS#7 padding")
    return data[:-amount]


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey. ValueError when malformed."""
    if len(encoding_aes_key) != 43:
        raise ValueError(
            f"EncodingAESKey must be 43 characters (got {len(encoding_aes_key)}); copy it "
            "from the bot's API settings page"
        )
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("EncodingAESKey is not valid base64") from exc
    if len(key) != 32:  # pragma: no cover - 43 base64 chars + "=" always give 32 bytes
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


class WeComCrypto:
    """Sign, verify, encrypt and decrypt WeCom callback payloads."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str = "") -> None:
        if not token:
            raise ValueError("the callback Token is empty")
        self.token = token
        self.key = decode_aes_key(encoding_aes_key)
        self.iv = self.key[:16]
        self.receive_id = receive_id

    # --- signatures -----------------------------------------------------------------------

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self.token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise SignatureError unless msg_signature matches (constant-time comparison)."""
        try:
            expected = self.sign(timestamp, nonce, encrypt)
        except UnicodeEncodeError:  # a lone surrogate cannot have been signed
            raise SignatureError("msg_signature does not match") from None
        given = msg_signature.encode("utf-8", "replace")
        if not hmac.compare_digest(expected.encode("ascii"), given):
            raise SignatureError("msg_signature does not match")

    # --- envelopes ------------------------------------------------------------------------

    def encrypt(self, message: str | bytes, random16: bytes | None = None) -> str:
        """Base64 ciphertext of one message (random16 only for reproducible tests)."""
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = random16 if random16 is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("random16 must be 16 bytes")
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode("utf-8")
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).encryptor()
        cipher = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(cipher).decode("ascii")

    def decrypt(self, encrypt: str) -> bytes:
        """The message bytes inside a ciphertext; DecryptError when anything is off."""
        try:
            cipher = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("encrypted text is not valid base64") from exc
        if not cipher or len(cipher) % 16:
            raise DecryptError(f"ciphertext length {len(cipher)} is not a multiple of 16")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).decryptor()
        plain = pkcs7_unpad(decryptor.update(cipher) + decryptor.finalize())
        if len(plain) < 20:
            raise DecryptError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError(f"message length {length} exceeds the plaintext")
        message = plain[20 : 20 + length]
        receive_id = plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode("utf-8")):
            raise DecryptError("receiveid does not match this receiver")
        return message

    # --- the two callback shapes ----------------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): check the signature, return the decrypted echostr."""
        self.verify(msg_signature, timestamp, nonce, echostr)
        try:
            return self.decrypt(echostr).decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptError("echostr is not UTF-8 text") from None

    def open(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bytes:
        """A POSTed {"encrypt": ...} body: check the signature, return the plaintext."""
        self.verify(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def seal(
        self, message: str, nonce: str, timestamp: str, random16: bytes | None = None
    ) -> dict[str, object]:
        """The encrypted passive-reply envelope (JSON fields as WeCom expects them)."""
        encrypted = self.encrypt(message, random16)
        return {
            "encrypt": encrypted,
            "msgsignature": self.sign(timestamp, nonce, encrypted),
            "timestamp": int(timestamp) if str(timestamp).isdigit() else timestamp,
            "nonce": nonce,
        }
