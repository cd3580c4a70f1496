"""One page rate for every worker of a shared crawl: each page request reserves the next free
moment in Redis (one script, the server's clock) and waits for it, so N workers ask the site for
pages no faster than one crawl does. Pictures keep each worker's own `pictures` slot limits."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import NotConfigured

from scars_scrapy import redis_state
from scars_scrapy.middlewares import PAGE_META

if TYPE_CHECKING:
    import redis
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

MIDDLEWARE = f"{__name__}.SharedPagePace"
DELAY_SETTING = "SCARS_REDIS_PAGE_DELAY"
# The next free moment (µs, Redis' clock) becomes max(now, next) + gap; the answer is the wait.
_RESERVE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local next_us = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now_us, next_us)
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', 3600000)
return at - now_us
"""


def page_delay(crawler: Crawler) -> float:
    """The least time between two page requests of all workers together (default: one
    crawl's DOWNLOAD_DELAY, or -1); 0 switches the shared pace off."""
    settings = crawler.settings
    value = settings.getfloat(DELAY_SETTING, -1.0)
    return settings.getfloat("DOWNLOAD_DELAY") if value < 0 else value


class PagePace:
    """Reservations of page slots, one `gap` apart, shared by every worker of a crawl."""

    def __init__(self, client: redis.Redis, key: str, gap: float) -> None:
        self.key, self.gap_us = key, int(gap * 1_000_000)
        self.reserve = client.register_script(_RESERVE)

    def wait(self) -> float:
        """Seconds until this request's turn (reserved already)."""
        return float(self.reserve(keys=[self.key], args=[self.gap_us])) / 1_000_000


class SharedPagePace:
    """Downloader middleware: a page request waits for its reserved moment before it is sent."""

    def __init__(self, pace: PagePace) -> None:
        self.pace = pace

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url, gap = redis_state.redis_url(crawler.settings), page_delay(crawler)
        if not url or gap <= 0:
            raise NotConfigured
        key = f"{crawler.spidercls.name}:scars:page-pace"
        return cls(PagePace(redis_state.connect(url), key, gap))

    async def process_request(self, request: Request) -> Any:
        if request.meta.get(PAGE_META):
            wait = self.pace.wait()
            if wait > 0:
                await asyncio.sleep(wait)
        return None
