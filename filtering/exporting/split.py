"""Train/val/test splits grouped by listing: all photos of one car land in one split.

Listings are ordered by a hash of the seed and their ID, so the same seed gives the same split,
and a listing keeps its split when others are added or removed (mostly: the cut points move).
Each set is split on its own (a listing counts for the set most of its photos are in), so that
every split holds every set wherever there are enough listings.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence

from filtering.exporting.source import Item


def group_key(item: Item) -> str:
    """The listing; an image without a manifest row is a group of its own (its car unknown)."""
    if item.listing and item.listing.get("listing_id"):
        return f"listing:{item.listing['listing_id']}"
    return f"image:{item.image_id}"


def assign_splits(
    items: Sequence[Item], fractions: dict[str, float], sets: Sequence[str], seed: int
) -> dict[str, str]:
    """Image ID -> split name."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[group_key(item)].append(item)
    strata: dict[str, list[str]] = defaultdict(list)
    for key, members in groups.items():
        strata[_main_set(members, sets)].append(key)
    split_of: dict[str, str] = {}
    for keys in strata.values():
        ordered = sorted(keys, key=lambda key: _hash(seed, key))
        names = [name for name, n in allocate(len(ordered), fractions).items() for _ in range(n)]
        for key, name in zip(ordered, names, strict=True):
            split_of.update({item.image_id: name for item in groups[key]})
    return split_of


def allocate(count: int, fractions: dict[str, float]) -> dict[str, int]:
    """How many of `count` groups go to each split: the largest remainders round up, and a
    split with a share gets at least one group while another can spare one."""
    exact = {name: count * share for name, share in fractions.items()}
    sizes = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: sizes[name] - exact[name])
    for name in by_remainder[: count - sum(sizes.values())]:
        sizes[name] += 1
    for name, share in fractions.items():
        largest = max(sizes, key=lambda n: sizes[n])
        if share > 0 and sizes[name] == 0 and sizes[largest] > 1:
            sizes[largest] -= 1
            sizes[name] += 1
    return sizes


def _main_set(members: list[Item], sets: Sequence[str]) -> str:
    counts = Counter(item.set for item in members)
    return max(sets, key=lambda name: (counts[name], -sets.index(name)))


def _hash(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()
