"""Drops an item whose image ID is already stored (in an earlier run too) or already seen.

In a crawl shared through Redis, also one stored by any worker (the Redis set of stored IDs)
or being fetched by another worker in this run (a claim, cleared with the run).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from scars_scrapy.counts import count, set_count
from scars_scrapy.pipelines.manifest import local_store, read_manifest
from scars_scrapy.redis_state import StoredImages, stored_images

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


def stored_ids(folder: Path) -> set[str]:
    """IDs both stored as `<id>.jpg` and recorded in the manifest. A file without a record
    (a run killed between the two) is not counted, so the next run records it."""
    if not folder.is_dir():
        return set()
    files = {path.stem for path in folder.glob("*.jpg")}
    return files & set(read_manifest(folder).rows)


class ImageIdDedupPipeline:
    def __init__(
        self, store: Path, stats: StatsCollector, shared: StoredImages | None = None
    ) -> None:
        self.store, self.stats, self.shared = store, stats, shared
        self.stored: dict[str, set[str]] = {}  # folder -> IDs the store held at the start
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(local_store(crawler.settings), crawler.stats, stored_images(crawler))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        folder, image_id = adapter["folder"], adapter["image_id"]
        if folder not in self.stored:
            self._read_store(folder)
        if image_id in self.stored[folder] or (
            self.shared is not None and self.shared.is_stored(folder, image_id)
        ):
            count(self.stats, folder, "skipped/already_stored")
            raise DropItem(f"image {image_id} is already stored", log_level="DEBUG")
        if (folder, image_id) in self.seen:
            count(self.stats, folder, "skipped/duplicate_id")
            raise DropItem(f"image {image_id} was seen earlier in this crawl", log_level="INFO")
        self.seen.add((folder, image_id))
        if self.shared is not None and not self.shared.claim(folder, image_id):
            count(self.stats, folder, "skipped/fetched_by_another_worker")
            raise DropItem(f"image {image_id} is fetched by another worker", log_level="INFO")
        return item

    def _read_store(self, folder: str) -> None:
        """What the local store holds, told to the other workers too (stores of their own)."""
        self.stored[folder] = stored_ids(self.store / folder)
        set_count(self.stats, folder, "store/already_stored", len(self.stored[folder]))
        if self.shared is not None:
            self.shared.mark_all_stored(folder, self.stored[folder])
