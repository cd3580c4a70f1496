"""Near-duplicate encoders: what turns a crop into a code, and which codes are the same picture.

An encoder has a `name`, which is also the record field its codes are stored under (so a record
says which encoder made its code, and a record without the current encoder's code is encoded
again from its crop file, not dropped), `encode` for one crop, its `distance` between two
codes, and the `groups` of the same picture among many codes at its own threshold. `PHash` is
the one in use; another (an embedding, say) is a class with the same members, chosen in
`encoder_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import imagehash
import numpy as np
from PIL import Image

from filtering import near_dups
from filtering.settings import FilterSettings


class Encoder(Protocol):
    name: str

    def encode(self, image: Image.Image) -> str: ...

    def distance(self, a: str, b: str) -> float: ...

    def groups(self, codes: Sequence[str]) -> list[list[int]]:
        """Indices of the codes that are the same picture, each index in one group."""
        ...


class PHash:
    """64-bit perceptual hashes (imagehash `phash`) as 16 hex digits, the same picture when at
    most `near_duplicate_distance` bits apart (-1: never)."""

    name = "phash"

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance

    def encode(self, image: Image.Image) -> str:
        return str(imagehash.phash(image))

    def distance(self, a: str, b: str) -> int:
        """Bits in which two hashes differ."""
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def groups(self, codes: Sequence[str]) -> list[list[int]]:
        hashes = np.array([int(code, 16) for code in codes], dtype=np.uint64)
        return near_dups.groups(hashes, self.max_distance)


def encoder_for(settings: FilterSettings) -> Encoder:
    return PHash(settings.near_duplicate_distance)
