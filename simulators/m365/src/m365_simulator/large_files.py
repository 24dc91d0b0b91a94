"""File content too large to hold in memory: generated as it is read, or kept only as a digest.

A site can hold a multi-gigabyte file (``POST /_sim/sites/large-file``) to show that a migration
streams it: the source's :class:`LargeFile` is made chunk by chunk from its seed whenever it is
downloaded, and the import keeps what arrived as a :class:`ReceivedFile`, its size and SHA-256,
so the destination compares equal to the source without either side holding the bytes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

CHUNK = 1 << 20


@cache
def _block(seed: int) -> bytes:
    return random.Random(seed).randbytes(CHUNK)


@dataclass(frozen=True)
class LargeFile:
    """``size`` bytes made from ``seed``: each 1 MiB chunk is the seed's block, its first eight
    bytes replaced by the chunk's number (no two chunks alike, none stored)."""

    size: int
    seed: int

    def __len__(self) -> int:
        return self.size

    def chunks(self) -> Iterator[bytes]:
        block = _block(self.seed)
        for n, start in enumerate(range(0, self.size, CHUNK)):
            yield (n.to_bytes(8, "big") + block[8:])[: self.size - start]

    def sha256(self) -> str:
        return _digest(self.size, self.seed)


@cache
def _digest(size: int, seed: int) -> str:
    h = hashlib.sha256()
    for chunk in LargeFile(size, seed).chunks():
        h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ReceivedFile:
    """A large file as an import received it: how big it was and what it hashed to."""

    size: int
    digest: str

    def __len__(self) -> int:
        return self.size

    def sha256(self) -> str:
        return self.digest


Large = LargeFile | ReceivedFile
Body = bytes | Large  # a file's content in a site


def sha256_of(body: Body) -> str:
    return hashlib.sha256(body).hexdigest() if isinstance(body, bytes) else body.sha256()
