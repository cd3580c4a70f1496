"""Block detection and backoff (a blocked page is retried later, never read as "no results"),
and the pictures' own download slot."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import TYPE_CHECKING

from scrapy.utils.httpobj import urlparse_cached

from scars_scrapy.site import PAGE_DATA_MARKER

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

BLOCK_STATUSES = {403: "http_403", 429: "http_429", 503: "http_503"}
# Words of the challenge pages bot-protection services serve with status 200.
CHALLENGE_MARKERS = (b"captcha", b"challenge-platform", b"just a moment", b"datadome")
# Request meta key: the request is for a page that must carry the site's embedded data.
PAGE_META = "scars_page"
# The download slot of every picture host (DOWNLOAD_SLOTS sets its limits).
PICTURE_SLOT = "pictures"


def block_reason(request: Request, response: Response) -> str | None:
    """Why `response` is a block, or None. Pages must also carry their embedded data."""
    if response.status in BLOCK_STATUSES:
        return BLOCK_STATUSES[response.status]
    if not request.meta.get(PAGE_META) or response.status != 200:
        return None
    if PAGE_DATA_MARKER in response.body:
        return None
    head = response.body[:20_000].lower()
    return "challenge" if any(marker in head for marker in CHALLENGE_MARKERS) else "no_page_data"


def retry_after(response: Response, now: float) -> float | None:
    """Seconds the server asks us to wait (`Retry-After` as seconds or an HTTP date)."""
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


class BlockBackoffMiddleware:
    """Retries blocked responses after a pause that applies to the whole host."""

    def __init__(self, crawler: Crawler, retries: int, base: float, ceiling: float) -> None:
        self.crawler = crawler
        self.retries, self.base, self.ceiling = retries, base, ceiling
        self._resume_at: dict[str, float] = {}  # host -> monotonic time it may be asked again

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler,
            retries=settings.getint("SCARS_BLOCK_RETRIES"),
            base=settings.getfloat("SCARS_BACKOFF_BASE"),
            ceiling=settings.getfloat("SCARS_BACKOFF_MAX"),
        )

    async def process_request(self, request: Request) -> None:
        # Holding the request here keeps the host quiet for the rest of its pause.
        wait = self._resume_at.get(urlparse_cached(request).hostname or "", 0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        reason = block_reason(request, response)
        if reason is None:
            return response
        stats = self.crawler.stats
        stats.inc_value(f"scars/blocked/{reason}")
        attempt = request.meta.get("scars_block_retries", 0)
        delay = self._delay(response, attempt)
        host = urlparse_cached(request).hostname or ""
        self._resume_at[host] = max(self._resume_at.get(host, 0), time.monotonic() + delay)
        if attempt >= self.retries:
            stats.inc_value("scars/blocked/gave_up")
            logger.error("Gave up on %s after %d blocks (%s)", request.url, attempt + 1, reason)
            return response
        logger.warning("Blocked (%s) on %s; retrying in %.1f s", reason, request.url, delay)
        stats.inc_value("scars/block_retry/count")
        retry = request.replace(dont_filter=True)  # the dupefilter has seen this URL already
        retry.meta["scars_block_retries"] = attempt + 1
        return retry

    def _delay(self, response: Response, attempt: int) -> float:
        asked = retry_after(response, time.time())
        delay = asked if asked is not None else self.base * 2**attempt
        return min(delay, self.ceiling)


class PictureSlotMiddleware:
    """Pictures share one download slot of their own, `pictures`, kept out of AutoThrottle.

    The site's pages are rendered per request, so AutoThrottle paces them by the site's own
    response times. The pictures come from a CDN that serves static files: AutoThrottle would
    hold them to the pages' pace (DOWNLOAD_DELAY is its floor), and a big model's photos would
    take days. Their slot has a fixed small concurrency and delay instead (DOWNLOAD_SLOTS).
    """

    def __init__(self, hosts: frozenset[str]) -> None:
        self.hosts = hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(frozenset(crawler.settings.getlist("SCARS_PICTURE_HOSTS")))

    def process_request(self, request: Request) -> None:
        if (urlparse_cached(request).hostname or "") in self.hosts:
            request.meta.setdefault("download_slot", PICTURE_SLOT)
            request.meta["autothrottle_dont_adjust_delay"] = True
