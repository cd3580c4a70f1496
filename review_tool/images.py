"""Decoding ahead: a thread pool decodes and resizes the next images while the person looks.

Results are PIL images already fitted to the display box, kept in a small LRU of futures keyed by
path, file identity and box size. The Tk side only turns a finished PIL image into a PhotoImage,
which must happen on the Tk thread. JPEG's DCT scaling (`Image.draft`) decodes large photos at
about the display size directly, which is most of the speed.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

Box = tuple[int, int]


@dataclass(frozen=True)
class Loaded:
    """A decoded image fitted to a box, or why it could not be shown."""

    path: Path
    image: Image.Image | None
    original_size: tuple[int, int] | None = None
    error: str | None = None


def _fit(size: tuple[int, int], box: Box) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def load_fitted(path: Path, box: Box) -> Loaded:
    """Decode `path` and scale it to fit `box` (up or down); errors become a readable message."""
    try:
        with Image.open(path) as im:
            original = im.size
            target = _fit(original, box)
            im.draft("RGB", target)  # JPEG only: decode at a reduced scale, still >= target
            rgb = im.convert("RGB")
        fitted = rgb if rgb.size == target else rgb.resize(target, Image.Resampling.BILINEAR)
        return Loaded(path, fitted, original)
    except FileNotFoundError:
        return Loaded(path, None, error="file is gone (moved or deleted by another program)")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return Loaded(path, None, error=f"unreadable image: {exc}")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class Prefetcher:
    """Decode images in background threads; `request` returns a future, cached (LRU)."""

    def __init__(self, workers: int = 2, capacity: int = 48) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="decode")
        self._cache: OrderedDict[tuple[object, ...], Future[Loaded]] = OrderedDict()
        self.capacity = capacity

    def request(self, path: Path, box: Box) -> Future[Loaded]:
        key = (path, _identity(path), box)
        future = self._cache.get(key)
        if future is None or future.cancelled():
            future = self._pool.submit(load_fitted, path, box)
            self._cache[key] = future
        self._cache.move_to_end(key)
        self._evict()
        return future

    def peek(self, path: Path, box: Box) -> Future[Loaded] | None:
        """The cached future for this image, without queueing any work."""
        return self._cache.get((path, _identity(path), box))

    def prefetch(self, paths: Iterable[Path], box: Box) -> None:
        """Queue these (in order, nearest first); queued work for other images is cancelled."""
        paths = list(paths)
        wanted = {(p, box) for p in paths}
        for key, future in list(self._cache.items()):
            if (key[0], key[2]) not in wanted and not future.done() and future.cancel():
                del self._cache[key]
        for path in paths:
            self.request(path, box)

    def _evict(self) -> None:
        while len(self._cache) > self.capacity:
            _, future = self._cache.popitem(last=False)
            future.cancel()

    def clear(self) -> None:
        for future in self._cache.values():
            future.cancel()
        self._cache.clear()

    def close(self) -> None:
        self.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
