"""Progress while crawling and a summary by reason at the end, both read from Scrapy stats.

They are scars' own console lines (`scars_scrapy.console`): the progress every
`SCARS_PROGRESS_INTERVAL` seconds with the rate over the last `SCARS_PROGRESS_WINDOW` seconds
and the time left, then the summary and, after a stop, how to go on.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from scars_scrapy import progress, totals
from scars_scrapy.console import command_line, console

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class ProgressSummary:
    def __init__(
        self, stats: StatsCollector, interval: float, window: float, summary_file: str,
        jobdir: str,
    ) -> None:  # fmt: skip
        self.stats, self.interval, self.summary_file = stats, interval, summary_file
        self.jobdir = Path(jobdir) if jobdir else None
        self.window = progress.RateWindow(window)
        self.started = time.monotonic()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        ext = cls(
            crawler.stats,
            settings.getfloat("SCARS_PROGRESS_INTERVAL"),
            settings.getfloat("SCARS_PROGRESS_WINDOW", 300.0),
            settings.get("SCARS_SUMMARY_FILE") or "",
            settings.get("JOBDIR") or "",
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        earlier = totals.load_job_totals(self.jobdir) if self.jobdir else {}
        for key, value in earlier.items():
            self.stats.inc_value(key, value)
        if earlier:
            console.info("Resuming the job in %s: its counts so far are carried on", self.jobdir)
        self.started = time.monotonic()
        self.window.add(self.started, self.counts())
        if self.interval > 0:
            self.task = create_looping_call(self.log_progress)
            self.task.start(self.interval, now=False)

    def counts(self) -> progress.Counts:
        return progress.Counts.of(self.stats.get_stats())

    def log_progress(self) -> None:
        counts = self.counts()
        self.window.add(time.monotonic(), counts)
        lines = [progress.progress_line(counts, self.window)]
        console.info("%s", "\n".join(lines + progress.model_lines(self.stats.get_stats())))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        stats = self.stats.get_stats()
        if self.jobdir:
            totals.save_job_totals(self.jobdir, stats)
        elapsed = time.monotonic() - self.started
        lines = progress.summary_lines(stats, reason, elapsed)
        console.info("%s", "\n".join([*lines, *self._log_line(stats)]))
        if self.summary_file:
            totals.write_json(Path(self.summary_file), totals.summary(stats, reason))
        if reason == "shutdown":
            console.info("%s", self._how_to_go_on())

    def _log_line(self, stats: dict[str, Any]) -> list[str]:
        files = [
            handler.baseFilename
            for handler in logging.root.handlers
            if isinstance(handler, logging.FileHandler) and handler.baseFilename != os.devnull
        ]
        errors, warnings = stats.get("log_count/ERROR", 0), stats.get("log_count/WARNING", 0)
        return [f"Scrapy's log: {path} ({errors} errors, {warnings} warnings)" for path in files]

    def _how_to_go_on(self) -> str:
        if self.jobdir:
            return f"Stopped. To resume, run the same command again:\n  {command_line()}"
        return (
            "Stopped. Running the same command again starts the search over; the photos "
            "stored are kept and not fetched again. To make a crawl resumable, add "
            "-s JOBDIR=crawls/<name>."
        )
