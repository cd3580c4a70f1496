"""The page handling every search and detail callback shares: the page's data with retries
of a malformed page, failed pages counted by reason, and each count kept per model."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scars_scrapy import site
from scars_scrapy.config import CrawlConfig
from scars_scrapy.counts import count
from scars_scrapy.middlewares import PAGE_META

MALFORMED_RETRIES = 2
# Meta keys a retried page keeps; Scrapy's own (latency, retry counts) start afresh.
OWN_META = {PAGE_META, "playwright", "dont_redirect", "handle_httpstatus_list"}


def request_model(request: scrapy.Request) -> str | None:
    """The model a page was fetched for (search pages carry a Slice, detail pages the name)."""
    search = request.cb_kwargs.get("search")
    return str(search.model) if search is not None else request.cb_kwargs.get("model")


class PageSpider(scrapy.Spider):
    config: CrawlConfig

    def _count(self, model: str | None, name: str, value: int = 1) -> None:
        count(self.crawler.stats, model, name, value)

    def _page_meta(self) -> dict[str, Any]:
        return {PAGE_META: True, "playwright": True} if self.config.browser else {PAGE_META: True}

    def _props(
        self, response: Response, model: str
    ) -> Generator[scrapy.Request, None, dict[str, Any] | None]:
        """The page's data; on a malformed page, a retry (yielded) and None."""
        try:
            return site.page_props(response.text)
        except site.PageDataError as exc:
            if site.PAGE_DATA_MARKER not in response.body:  # still blocked after every retry
                self._count(model, "dropped/page_blocked")
                self.logger.error("%s: giving up on %s: %s", model, response.url, exc)
                return None
            retries = response.meta.get("scars_malformed_retries", 0)
            if retries < MALFORMED_RETRIES:
                self._count(model, "retried/malformed_page")
                meta = {k: v for k, v in response.meta.items() if k in OWN_META}
                meta["scars_malformed_retries"] = retries + 1
                assert response.request is not None  # a response to a request of this spider
                yield response.request.replace(dont_filter=True, meta=meta)
            else:
                self._count(model, "dropped/malformed_page")
                self.logger.error("%s: giving up on %s: %s", model, response.url, exc)
            return None

    def page_failed(self, failure: Failure) -> None:
        """A page that could not be fetched: counted, and its model's listings reported
        incomplete; the other models go on."""
        error = failure.value
        reason = (
            f"http_{error.response.status}"
            if isinstance(error, HttpError)
            else type(error).__name__
        )
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
        model = request_model(request)
        self._count(model, f"dropped/page_{reason}")
        self.logger.error(
            "%s: page failed (%s): %s; its listings may be incomplete",
            model, reason, request.url,
        )  # fmt: skip
