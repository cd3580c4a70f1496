"""The index behind the pHash encoder (`encoders.PHash`): the groups of the same picture among
64-bit hashes, and, for checks, their close pairs.

Comparing every pair is quadratic, so the index splits each hash into `distance + 1` chunks: two
hashes at most `distance` bits apart agree exactly on at least one chunk (pigeonhole), so only
hashes sharing a chunk value are compared. Identical hashes are one picture before any comparing,
and the pairs found are merged into groups block by block, never kept: a model whose photos are
nearly all one picture would otherwise hold a pair for every two of them (50 million at 10,000).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

HASH_BITS = 64
CELLS = 1 << 20  # hash comparisons held at once inside a bucket: bounds a block to some 30 MB


def groups(hashes: np.ndarray, max_distance: int) -> list[list[int]]:
    """Indices of the same picture (hashes linked by chains of at most `max_distance` bits),
    each group ascending and the groups by their first index, singletons included. A negative
    distance switches the stage off: all singletons."""
    if max_distance < 0:
        return [[i] for i in range(len(hashes))]
    distinct, inverse = np.unique(hashes, return_inverse=True)
    parent = np.arange(len(distinct))
    for pairs in _pair_blocks(distinct, max_distance):
        _union(parent, pairs[:, 0], pairs[:, 1])
    roots = _roots(parent)[inverse.reshape(-1)]
    order = np.argsort(roots, kind="stable")
    starts = np.flatnonzero(np.r_[True, roots[order][1:] != roots[order][:-1]])
    found = [chunk.tolist() for chunk in np.split(order, starts[1:])] if len(order) else []
    return sorted(found, key=lambda members: members[0])


def close_pairs(hashes: np.ndarray, max_distance: int) -> np.ndarray:
    """All index pairs (i < j) whose hashes differ in at most `max_distance` bits, shape (n, 2).
    Holds every pair: for checks and benchmarks; filtering itself asks for `groups`."""
    found = [np.empty((0, 2), dtype=np.int64)]
    if max_distance >= 0:
        found.extend(_pair_blocks(hashes, max_distance))
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def _pair_blocks(hashes: np.ndarray, max_distance: int) -> Iterator[np.ndarray]:
    """Close pairs (i < j), block by block; a pair close in several chunks comes more than once."""
    for shift, bits in _chunks(max_distance):
        keys = (hashes >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
        for members in _buckets(keys):
            yield from _pairs_within(hashes, members, max_distance)


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


def _pairs_within(
    hashes: np.ndarray, members: np.ndarray, max_distance: int
) -> Iterator[np.ndarray]:
    values = hashes[members]
    rows_at_once = max(1, CELLS // len(members))
    for start in range(0, len(members), rows_at_once):
        block = values[start : start + rows_at_once]
        distance = np.bitwise_count(block[:, None] ^ values[None, :])
        rows, cols = np.nonzero(distance <= max_distance)
        keep = cols > rows + start  # each pair once, never an image with itself
        pairs = np.stack([members[rows[keep] + start], members[cols[keep]]], axis=1)
        if len(pairs):
            yield np.sort(pairs, axis=1)


def _union(parent: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Merge the sets of each pair (a[k], b[k]) in place: every root hooks onto the smallest root
    it is paired with, until each pair shares a root (a few rounds, each over whole arrays)."""
    while True:
        roots = _roots(parent)
        root_a, root_b = roots[a], roots[b]
        apart = root_a != root_b
        if not apart.any():
            return
        low = np.minimum(root_a[apart], root_b[apart])
        high = np.maximum(root_a[apart], root_b[apart])
        np.minimum.at(parent, high, low)


def _roots(parent: np.ndarray) -> np.ndarray:
    """Each index's root, compressing `parent` in place (pointer jumping)."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent[:] = grand
