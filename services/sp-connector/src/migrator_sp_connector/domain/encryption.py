"""AES-256-CBC as the SharePoint Migration API uses it: package blobs and report-queue messages."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def new_key() -> bytes:
    """A fresh 256-bit key for one migration job."""
    return os.urandom(32)


def encrypt(key: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    """(iv, ciphertext): CBC with PKCS7 padding (.NET's AesCryptoServiceProvider defaults), random IV."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv, encryptor.update(padded) + encryptor.finalize()


class StreamEncryptor:
    """:func:`encrypt` a piece at a time, for content too large to hold: the same ciphertext."""

    def __init__(self, key: bytes) -> None:
        self.iv = os.urandom(16)
        self._padder = padding.PKCS7(128).padder()
        self._encryptor = Cipher(algorithms.AES(key), modes.CBC(self.iv)).encryptor()

    def update(self, plaintext: bytes) -> bytes:
        return self._encryptor.update(self._padder.update(plaintext))

    def finalize(self) -> bytes:
        return self._encryptor.update(self._padder.finalize()) + self._encryptor.finalize()


def decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """The inverse of :func:`encrypt`."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def open_queue_message(key: bytes, message_text: str) -> dict[str, Any]:
    """A report-queue message → the event dict.

    The message text is base64 of ``{"Label":"Encrypted","JobId","IV","Content"}`` where Content
    is the AES-CBC ciphertext of the event JSON; an unencrypted job's message is the event itself.
    """
    envelope = json.loads(base64.b64decode(message_text))
    if envelope.get("Label") == "Encrypted":
        plain = decrypt(key, base64.b64decode(envelope["IV"]), base64.b64decode(envelope["Content"]))
        event: dict[str, Any] = json.loads(plain)
        return event
    return dict(envelope)
