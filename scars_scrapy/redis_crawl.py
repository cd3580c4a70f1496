"""One crawl on several machines: scrapy-redis 0.9.1's scheduler and dupefilter, adapted to
Scrapy 2.19, and the workers' coordination (who starts a run, who waits for whom).

`enable(settings)` switches it on when SCARS_REDIS_URL is set. A worker that finds no other
live worker starts a new run: it clears the previous run's queue, dupefilter and bookkeeping (so
a run killed part-way, or finished, is done again; photos already stored anywhere are skipped).
A worker that finds others joins their run. Each worker refreshes a heartbeat saying whether it
is busy; an idle worker does not close while another is busy, since that one may still queue
requests. A worker silent for SCARS_REDIS_WORKER_TIMEOUT seconds is taken for dead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.scheduler import Scheduler

from scars_scrapy import redis_pace, redis_state
from scars_scrapy.console import console
from scars_scrapy.redis_state import RedisTally, run_prefix

if TYPE_CHECKING:
    import redis
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

SCHEDULER = f"{__name__}.SharedScheduler"
# How often an idle worker looks at the shared queue again (Scrapy polls every 5 s).
IDLE_POLL = 1.0


def enable(settings: BaseSettings, url: str) -> None:
    """The settings of a shared crawl (called from the spider's `update_settings`)."""
    settings.set("REDIS_URL", url, priority="spider")
    settings.set("SCHEDULER", SCHEDULER, priority="spider")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="spider")
    # Gap: scrapy-redis empties the queue and dupefilter when any worker closes unless
    # SCHEDULER_PERSIST is on; other workers may still be using them. Runs are cleared at the
    # start of the next run instead (SharedScheduler.open).
    settings.set("SCHEDULER_PERSIST", True, priority="spider")
    # A blocking pop would stall the whole event loop of the worker.
    settings.set("SCHEDULER_IDLE_BEFORE_CLOSE", 0, priority="spider")
    # Before the block backoff (560): a page waits for its shared turn first.
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES") | {redis_pace.MIDDLEWARE: 540}
    priority = max(settings.getpriority("DOWNLOADER_MIDDLEWARES") or 0, 30)
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority=priority)


def tally(spider: Spider) -> RedisTally:
    return RedisTally(redis_state.connect(redis_state.redis_url(spider.settings)), _run(spider))


def _run(spider: Spider) -> str:
    return run_prefix(spider.name)


class SharedScheduler(Scheduler):
    """scrapy-redis's Scheduler, as Scrapy 2.19 needs it, with the workers' coordination."""

    crawler: Crawler
    server: redis.Redis
    name: str  # this worker's
    timeout: float
    beat: Any  # the heartbeat's looping call, once open

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler: Self = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.name = redis_state.worker_name()
        scheduler.timeout = crawler.settings.getfloat("SCARS_REDIS_WORKER_TIMEOUT")
        scheduler.beat = None
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.worker_prefix = f"{spider.name}:scars:worker:"
        with self.server.lock(f"{spider.name}:scars:start-lock", timeout=30, blocking_timeout=60):
            others = self._others()
            if others:
                console.info(
                    "Joining the crawl of %d other worker(s) as %s", len(others), self.name
                )
            else:
                self._new_run(spider)
            self._beat("busy")
        super().open(spider)
        self.beat = create_looping_call(self._heartbeat)
        self.beat.start(max(0.5, self.timeout / 4), now=False)
        # Gap: Scrapy's engine asks an idle spider's scheduler again only every 5 s (a private
        # class attribute); a worker waiting for others' requests should look sooner.
        engine: Any = self.crawler.engine
        engine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL
        _state_politeness(self.crawler, len(others) + 1)

    def _new_run(self, spider: Spider) -> None:
        """No other worker is alive: the previous run is over (finished or killed)."""
        queue = self.queue_key % {"spider": spider.name}
        dupefilter = self.dupefilter_key % {"spider": spider.name}
        cleared = self.server.delete(queue, dupefilter) + redis_state.clear_run(
            self.server, _run(spider)
        )
        console.info(
            "Starting a new run as %s (%d keys of an earlier run cleared)", self.name, cleared
        )

    def _others(self) -> dict[str, str]:
        """Live workers other than this one, and whether each is busy."""
        keys = [_text(k) for k in self.server.scan_iter(match=f"{self.worker_prefix}*")]
        mine = self.worker_prefix + self.name
        states = dict(zip(keys, self.server.mget(keys), strict=True)) if keys else {}
        return {k: _text(v) for k, v in states.items() if k != mine and v is not None}

    def _beat(self, state: str) -> None:
        self.server.set(self.worker_prefix + self.name, state, px=int(self.timeout * 1000))

    def _heartbeat(self) -> None:
        engine = self.crawler.engine
        idle = engine is not None and engine.spider is not None and engine.spider_is_idle()
        self._beat("idle" if idle else "busy")

    def spider_idle(self, spider: Spider) -> None:
        self._beat("idle")
        busy = [name for name, state in self._others().items() if state == "busy"]
        if busy:
            raise DontCloseSpider  # another worker may still queue requests

    def close(self, reason: str) -> None:
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        self.server.delete(self.worker_prefix + self.name)
        super().close(reason)

    # Gap: scrapy-redis passes `spider=` to the stats methods, deprecated since Scrapy 2.15.
    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.crawler.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request: Request | None = self.queue.pop(self.idle_before_close)
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
        return request


def _text(value: bytes | str) -> str:
    """scrapy-redis's client answers bytes (it does not decode responses)."""
    return value.decode() if isinstance(value, bytes) else value


def _state_politeness(crawler: Crawler, workers: int) -> None:
    """N workers are N times the requests unless paced together: say what the site sees."""
    settings = crawler.settings
    gap = redis_pace.page_delay(crawler)
    pages = (
        f"pages at most one every {gap:.2f} s for all workers together ({redis_pace.DELAY_SETTING})"
        if gap > 0
        else f"pages paced by each worker alone: up to {workers} times one crawl's rate"
    )
    slot = settings.getdict("DOWNLOAD_SLOTS").get("pictures", {})
    # On the console: what the site will see is part of the start line a user reads.
    console.warning(
        "%d worker(s) share this crawl now: %s; pictures paced by each worker (%s at a time, "
        "%s s apart), so up to %d times one crawl's picture rate. To keep the pictures as "
        "gentle as one crawl, give each of N workers the pictures slot's delay times N "
        "(-s DOWNLOAD_SLOTS=...).",
        workers, pages, slot.get("concurrency", "-"), slot.get("delay", "-"), workers,
    )  # fmt: skip
