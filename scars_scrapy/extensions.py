"""Progress while crawling and a summary by reason at the end, both read from Scrapy stats."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

PREFIX = "scars/"
# Scrapy's own counters the summary repeats, so one file tells the whole story.
SCRAPY_KEYS = (
    "file_status_count/downloaded", "file_status_count/uptodate", "item_scraped_count",
)  # fmt: skip


def progress_line(stats: dict[str, Any]) -> str:
    def get(key: str) -> Any:
        return stats.get(f"{PREFIX}{key}", 0)

    dropped = sum(v for k, v in stats.items() if k.startswith(f"{PREFIX}dropped/"))
    skipped = sum(v for k, v in stats.items() if k.startswith(f"{PREFIX}skipped/"))
    return (
        f"listings {get('listings/seen')}, images found {get('images/found')}"
        f", stored {get('images/stored')}, skipped {skipped}, dropped {dropped}"
        f", blocks {get('block_retry/count')}"
    )


def summary(stats: dict[str, Any], reason: str) -> dict[str, Any]:
    """The project's counters (every skip and drop under its reason) and why the crawl ended."""
    counts = {k[len(PREFIX) :]: v for k, v in sorted(stats.items()) if k.startswith(PREFIX)}
    counts |= {k: stats[k] for k in SCRAPY_KEYS if k in stats}
    return {"finish_reason": reason, "counts": counts}


class ProgressSummary:
    def __init__(self, stats: StatsCollector, interval: float, summary_file: str) -> None:
        self.stats, self.interval, self.summary_file = stats, interval, summary_file
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        ext = cls(
            crawler.stats,
            settings.getfloat("SCARS_PROGRESS_INTERVAL"),
            settings.get("SCARS_SUMMARY_FILE") or "",
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if self.interval > 0:
            self.task = create_looping_call(self.log_progress)
            self.task.start(self.interval, now=False)

    def log_progress(self) -> None:
        logger.info("Progress: %s", progress_line(self.stats.get_stats()))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        result = summary(self.stats.get_stats(), reason)
        lines = "\n".join(f"  {key}: {value}" for key, value in result["counts"].items())
        logger.info("Summary (%s): %s\n%s", reason, progress_line(self.stats.get_stats()), lines)
        if self.summary_file:
            _write_atomic(Path(self.summary_file), json.dumps(result, indent=2) + "\n")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
