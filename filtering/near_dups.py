"""The index behind the pHash encoder (`encoders.PHash`): close pairs among 64-bit hashes, and
the groups those pairs form.

Comparing every pair is quadratic, so the index splits each hash into `distance + 1` chunks: two
hashes at most `distance` bits apart agree exactly on at least one chunk (pigeonhole), so only
hashes sharing a chunk value are compared.
"""

from __future__ import annotations

import numpy as np

HASH_BITS = 64
BLOCK = 2048  # rows compared at once inside a large bucket: bounds memory to BLOCK x bucket


def close_pairs(hashes: np.ndarray, max_distance: int) -> np.ndarray:
    """All index pairs (i < j) whose hashes differ in at most `max_distance` bits, shape (n, 2).

    A negative distance switches the stage off: no pairs.
    """
    found = [np.empty((0, 2), dtype=np.int64)]
    if max_distance < 0:
        return found[0]
    for shift, bits in _chunks(max_distance):
        keys = (hashes >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
        for members in _buckets(keys):
            found.append(_pairs_within(hashes, members, max_distance))
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def groups(count: int, pairs: np.ndarray) -> list[list[int]]:
    """Connected groups of indices (union-find over the pairs); singletons included."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs.tolist():
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[int]] = {}
    for i in range(count):
        members.setdefault(root(i), []).append(i)
    return list(members.values())


def _chunks(max_distance: int) -> list[tuple[int, int]]:
    """(shift, bits) of `max_distance + 1` chunks covering all 64 bits."""
    count = min(max_distance + 1, HASH_BITS)
    sizes = [HASH_BITS // count + (1 if k < HASH_BITS % count else 0) for k in range(count)]
    shifts = np.cumsum([0, *sizes[:-1]]).tolist()
    return list(zip(shifts, sizes, strict=True))


def _buckets(keys: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the hashes sharing a key, for keys shared by two or more."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return [order[s:e] for s, e in zip(starts, ends, strict=True) if e - s > 1]


def _pairs_within(hashes: np.ndarray, members: np.ndarray, max_distance: int) -> np.ndarray:
    values = hashes[members]
    found = []
    for start in range(0, len(members), BLOCK):
        block = values[start : start + BLOCK]
        distance = np.bitwise_count(block[:, None] ^ values[None, :])
        rows, cols = np.nonzero(distance <= max_distance)
        keep = cols > rows + start  # each pair once, never an image with itself
        found.append(np.stack([members[rows[keep] + start], members[cols[keep]]], axis=1))
    pairs = np.concatenate(found)
    return np.sort(pairs, axis=1)
