"""Scrapy's ImagesPipeline storing `<store>/<folder>/<image_id>.jpg`, written atomically.

ImagesPipeline downloads through the engine, converts WebP/PNG to RGB JPEG and stores; this
subclass names the files, refuses unsafe names, converts in worker threads, and turns failures
into counted drops.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from itemadapter import ItemAdapter
from PIL import Image, UnidentifiedImageError
from scrapy.exceptions import DropItem
from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.images import ImagesPipeline
from scrapy.pipelines.media import _MediaRequestFiltered
from scrapy.utils.defer import ensure_awaitable, maybe_deferred_to_future
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from scars_scrapy.counts import count
from scars_scrapy.files import dead_parts, write_bytes_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.pipelines.media import FileInfoOrError, MediaPipeline
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

T = TypeVar("T")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
INCOMING = ".incoming"
# FilesPipeline's own error messages.
FILE_ERRORS = {"download-error": "http_error", "empty-content": "empty_image"}


class AtomicFSFilesStore(FSFilesStore):
    """Writes each file under a temporary name in the store, then renames it into place, so a
    killed crawl never leaves a partial image where a reader would take it for a whole one."""

    def __init__(self, basedir: str) -> None:
        super().__init__(basedir)
        self.incoming = Path(self.basedir, INCOMING)
        self.incoming.mkdir(parents=True, exist_ok=True)
        _remove_dead_parts(self.incoming)

    def persist_file(
        self,
        path: str | os.PathLike[str],
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        final = self._get_filesystem_path(path)
        self._mkdir(final.parent, info)
        write_bytes_atomic(final, buf.getvalue(), scratch=self.incoming)

    def _mkdir(self, dirname: Path, domain: MediaPipeline.SpiderInfo | None = None) -> None:
        """Scrapy's store checks whether a folder exists and then creates it: two workers of one
        shared crawl starting together, or storing a model's first photo together, race between
        the two, and the loser's crawl failed with FileExistsError."""
        dirname.mkdir(parents=True, exist_ok=True)


def _remove_dead_parts(incoming: Path) -> None:
    for part in dead_parts(incoming):
        part.unlink(missing_ok=True)


class WorkerThreads:
    """Threads for the pipeline's CPU work (0: one per core), started with the crawl and stopped
    with the reactor."""

    def __init__(self, threads: int) -> None:
        from twisted.internet import reactor  # the one Scrapy installed

        self.reactor = reactor
        threads = threads if threads > 0 else os.cpu_count() or 1
        self.pool = ThreadPool(minthreads=0, maxthreads=threads, name="scars-convert")
        self.pool.start()
        # Twisted's interface declares the method without `self`, so mypy misreads it.
        reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)  # type: ignore[arg-type]

    async def run(self, work: Callable[[], T]) -> T:
        return await maybe_deferred_to_future(deferToThreadPool(self.reactor, self.pool, work))


def failure_reason(failure: Failure) -> str:
    """A short snake_case reason for a failed image, for the `scars/dropped/<reason>` stat.

    FilesPipeline wraps the original error once or twice; the chain of causes keeps it."""
    chain = list(_causes(failure.value))
    if any(isinstance(error, _MediaRequestFiltered) for error in chain):
        return "request_filtered"
    for error in chain:
        if isinstance(error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            return "decompression_bomb"
        if isinstance(error, UnidentifiedImageError):
            return "not_an_image"
        if isinstance(error, OSError):  # a decoder error (truncated, corrupt) has no errno
            return "store_error" if error.errno else "corrupt_image"
        if str(error) in FILE_ERRORS:
            return FILE_ERRORS[str(error)]
    return "download_failed"


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


class StoreImagesPipeline(ImagesPipeline):
    STORE_SCHEMES: ClassVar[dict[str, Any]] = {
        **ImagesPipeline.STORE_SCHEMES,
        "": AtomicFSFilesStore,
        "file": AtomicFSFilesStore,
    }

    in_flight: DeferredSemaphore
    workers: WorkerThreads
    max_pixels: int

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = super().from_crawler(crawler)
        # Checked per picture from its header (see _refuse_bomb): Pillow's own limit is the
        # whole process's, not this pipeline's to change.
        pipeline.max_pixels = crawler.settings.getint("SCARS_MAX_IMAGE_PIXELS")
        # Each item holds its downloaded picture until a worker thread has converted it; without
        # a bound, downloads outpace conversion and the pictures pile up in memory.
        pipeline.in_flight = DeferredSemaphore(2 * crawler.settings.getint("CONCURRENT_REQUESTS"))
        pipeline.workers = WorkerThreads(crawler.settings.getint("SCARS_CONVERT_THREADS"))
        return pipeline

    async def process_item(self, item: Any) -> Any:  # type: ignore[override]  # Scrapy 2.19's form
        await maybe_deferred_to_future(self.in_flight.acquire())
        try:
            return await super().process_item(item)
        finally:
            self.in_flight.release()

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        adapter = ItemAdapter(item)
        return f"{adapter['folder']}/{adapter['image_id']}.jpg"

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        adapter = ItemAdapter(item)
        for name in ("folder", "image_id"):
            if not SAFE_NAME.match(str(adapter.get(name) or "")):
                count(self.crawler.stats, None, "dropped/unsafe_name")
                raise DropItem(f"{name} {adapter.get(name)!r} is not a safe file name")
        return super().get_media_requests(item, info)

    async def image_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> str:
        # Decoding and encoding run in worker threads: Pillow releases the GIL while it
        # works, so conversions use every core and the engine goes on downloading meanwhile. On
        # the reactor's thread alone they were the crawl's limit at the default picture size.
        def convert() -> list[tuple[str, Image.Image, BytesIO]]:
            self._refuse_bomb(response.body)
            return list(self.get_images(response, request, info, item=item))

        converted = await self.workers.run(convert)
        checksum = ""
        for path, image, buffer in converted:
            checksum = checksum or hashlib.md5(buffer.getvalue(), usedforsecurity=False).hexdigest()
            await ensure_awaitable(
                self.store.persist_file(
                    path,
                    buffer,
                    info,
                    meta={"width": image.width, "height": image.height},
                    headers={"Content-Type": "image/jpeg"},
                )
            )
        return checksum

    def _refuse_bomb(self, body: bytes) -> None:
        """A picture over SCARS_MAX_IMAGE_PIXELS is refused from its header, before decoding
        (Pillow itself refuses those over twice its own limit when opening them)."""
        with Image.open(BytesIO(body)) as probe:
            width, height = probe.size
        if width * height > self.max_pixels:
            raise Image.DecompressionBombError(
                f"{width}x{height} pixels is over SCARS_MAX_IMAGE_PIXELS ({self.max_pixels})"
            )

    def item_completed(
        self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo
    ) -> Any:
        stats, model = self.crawler.stats, ItemAdapter(item)["folder"]
        for ok, value in results:
            if not ok:
                reason = failure_reason(value)  # type: ignore[arg-type]  # a Failure when not ok
                count(stats, model, f"dropped/{reason}")
                raise DropItem(f"image {ItemAdapter(item)['image_id']}: {reason}", log_level="INFO")
        item = super().item_completed(results, item, info)
        adapter = ItemAdapter(item)
        stored = self._own_copy(adapter, info)
        with Image.open(Path(self.store_folder, stored["path"])) as image:
            adapter["width"], adapter["height"] = image.size
        # "uptodate": the file was there without a manifest record (a run killed in between).
        recorded = stored["status"] == "uptodate"
        count(stats, model, "images/recorded" if recorded else "images/stored")
        return item

    def _own_copy(self, adapter: ItemAdapter, info: MediaPipeline.SpiderInfo) -> dict[str, Any]:
        """A photo under two models' listings is fetched once (Scrapy reuses a media request's
        result for the same URL), and each model's folder gets its own copy of it."""
        stored: dict[str, Any] = adapter[self.images_result_field][0]
        path = f"{adapter['folder']}/{adapter['image_id']}.jpg"
        if stored["path"] != path:
            source = Path(self.store_folder, stored["path"])
            self.store.persist_file(path, BytesIO(source.read_bytes()), info)
            stored = adapter[self.images_result_field][0] = stored | {"path": path}
        return stored

    @property
    def store_folder(self) -> str:
        store: AtomicFSFilesStore = self.store  # type: ignore[assignment]  # the local store
        return str(store.basedir)
