"""Sealing payroll secrets (pure, no I/O).

- Card numbers at rest: AES-256-GCM under a key derived from ``SITEPULSE_DATA_KEY``; a
  keyed digest (HMAC-SHA256) finds a card without opening it.
- Bank files: sealed for one bank with its RSA public key (RSA-OAEP-SHA256 wraps a fresh
  AES-256-GCM key), so only the bank can read them. The envelope is a small JSON document.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.errors import FieldProblem, InvalidInputError

ENVELOPE_FORMAT = "sitepulse-bank-file/1"
_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


class DataSealer:
    """Seals and opens short secrets (card numbers) with the platform's data key."""

    def __init__(self, data_key: str) -> None:
        material = hashlib.sha256(data_key.encode()).digest()
        self._aead = AESGCM(hashlib.sha256(b"seal" + material).digest())
        self._mac_key = hashlib.sha256(b"digest" + material).digest()

    def seal(self, text: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, text.encode(), None)

    def open(self, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[:12], sealed[12:], None).decode()

    def digest(self, text: str) -> str:
        return hmac.new(self._mac_key, text.encode(), hashlib.sha256).hexdigest()


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("a bank key must be an RSA public key of at least 2048 bits")
    return key


def seal_for_bank(plaintext: bytes, public_key: rsa.RSAPublicKey, header: dict[str, Any]) -> bytes:
    """The envelope of a bank file: ``header`` in the clear, the content sealed."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    envelope = {
        "format": ENVELOPE_FORMAT,
        **header,
        "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
        "wrapped_key": base64.b64encode(public_key.encrypt(key, _OAEP)).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(AESGCM(key).encrypt(nonce, plaintext, None)).decode(),
    }
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode()


def open_bank_file(envelope: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """What the bank does with an envelope (used by the stand-in bank and the tests)."""
    try:
        doc = json.loads(envelope)
        key = private_key.decrypt(base64.b64decode(doc["wrapped_key"]), _OAEP)
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"]), None
        )
    except (ValueError, KeyError, TypeError, InvalidTag) as exc:
        raise InvalidInputError(
            [
                FieldProblem(
                    "body", f"not a bank file sealed for this key: {exc}", "银行文件无法解密"
                )
            ]
        ) from None
    if hashlib.sha256(plaintext).hexdigest() != doc.get("plaintext_sha256"):
        raise InvalidInputError([FieldProblem("body", "checksum mismatch", "银行文件校验失败")])
    return plaintext


def new_bank_keypair() -> tuple[bytes, bytes]:
    """A bank's key pair as PEM (private, public): for the demo's stand-in bank."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public
