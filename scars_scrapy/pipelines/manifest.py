"""One JSON line per stored image in `<store>/<folder>/manifest.jsonl` (append-only).

In a crawl shared through Redis each worker appends to its own `manifest-<worker>.jsonl`, so no
two processes (or machines, on a shared folder) ever append to one file; readers take every
`manifest*.jsonl` of a folder together.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter

from scars_scrapy import redis_state
from scars_scrapy.redis_state import StoredImages

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
WORKER_MANIFESTS = "manifest-*.jsonl"
# The record's keys, in order (the project's data contract).
FIELDS = (
    "image_id", "listing_id", "listing_url", "image_url", "make", "model", "version",
    "first_registration", "price", "width", "height", "checksum", "stored_at",
)  # fmt: skip


def local_store(settings: BaseSettings) -> Path:
    """IMAGES_STORE as a local folder: the manifest and the dedup read and append files there."""
    uri = str(settings.get("IMAGES_STORE") or "")
    path = uri.removeprefix("file://")
    if not path or "://" in path:
        raise ValueError(f"IMAGES_STORE {uri!r} must be a local folder (e.g. data/raw)")
    return Path(path)


def manifest_name(worker: str | None) -> str:
    """The manifest a process appends to: its own in a shared crawl (`worker` named)."""
    return f"manifest-{worker}.jsonl" if worker else MANIFEST


def manifest_paths(folder: Path) -> list[Path]:
    """Every manifest file of a model folder, in reading order: `manifest.jsonl`, then each
    worker's `manifest-<worker>.jsonl` of shared crawls."""
    single = [folder / MANIFEST] if (folder / MANIFEST).exists() else []
    return single + sorted(folder.glob(WORKER_MANIFESTS))


@dataclass(frozen=True)
class ManifestRows:
    """A folder's manifest records by image ID (the last one wins) and its unreadable lines."""

    rows: dict[str, dict[str, Any]]
    bad_lines: int


def read_manifest(folder: Path) -> ManifestRows:
    """All manifest records of a model folder; a torn line (a killed run) is skipped, counted."""
    rows: dict[str, dict[str, Any]] = {}
    bad = 0
    for path in manifest_paths(folder):
        read = _read_file(path)
        rows |= read.rows
        bad += read.bad_lines
    return ManifestRows(rows, bad)


def manifest_ids(path: Path) -> set[str]:
    """Image IDs recorded in a manifest; a torn last line (a killed run) is skipped."""
    return set(_read_file(path).rows) if path.exists() else set()


def _read_file(path: Path) -> ManifestRows:
    rows: dict[str, dict[str, Any]] = {}
    bad = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
                rows[str(row["image_id"])] = row
            except (ValueError, KeyError, TypeError):
                bad += 1
                logger.warning("%s:%d is not a manifest record; ignored", path, number)
    return ManifestRows(rows, bad)


def record(item: Any) -> dict[str, Any]:
    adapter = ItemAdapter(item)
    stored = adapter["images"][0]
    values = {key: adapter.get(key) for key in FIELDS if key in adapter}
    values |= {"image_url": stored["url"], "checksum": stored["checksum"]}
    values["stored_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {key: values.get(key) for key in FIELDS}


class ManifestPipeline:
    def __init__(self, store: Path, shared: StoredImages | None = None) -> None:
        self.store, self.shared = store, shared
        self.name = manifest_name(redis_state.worker_name() if shared else None)
        self.files: dict[str, IO[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(local_store(crawler.settings), redis_state.stored_images(crawler))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        folder = adapter["folder"]
        handle = self.files.get(folder) or self._open(folder)
        # One write and a flush per record: a killed run tears at most the last line.
        handle.write(json.dumps(record(item), ensure_ascii=False) + "\n")
        handle.flush()
        if self.shared is not None:  # recorded: now every worker may take it for stored
            self.shared.mark_stored(folder, adapter["image_id"])
        return item

    def _open(self, folder: str) -> IO[str]:
        path = self.store / folder / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        if handle.tell() > 0:
            handle.seek(handle.tell() - 1)
            if handle.read(1) != "\n":
                handle.write("\n")  # start after a torn line, never on it
        self.files[folder] = handle
        return handle

    def close_spider(self) -> None:
        for handle in self.files.values():
            handle.close()
        self.files.clear()
