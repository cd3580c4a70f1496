"""`scrapy crawl autoscout -a model=range-rover-vogue[,...]`: every photo of every listing of
each model, into the model's own folder.

Each model's search is walked per first-registration year, page by page; a year with more
results than the site shows is split into price bands. When every year is wanted, the search
without a year filter is walked too if the years do not add up to its total (new cars).
Each listing's detail page gives all its photos; listings out of reach are counted by reason.
The decisions about slices and gaps are the bookkeeping's (scars_scrapy.bookkeeping).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any, Self

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response
from scrapy.settings import BaseSettings

from scars_scrapy import browser, redis_crawl, redis_state, site
from scars_scrapy.bookkeeping import Ledger, MemoryTally, Slice, Tally
from scars_scrapy.config import ConfigError, build_config
from scars_scrapy.console import console
from scars_scrapy.counts import MODEL_PREFIX
from scars_scrapy.items import ImageItem
from scars_scrapy.spiders.pages import PageSpider

DETAIL_CODES = [301, 302, 303, 307, 308, 410]
MAX_MOVES = 3
ROBOTS_NOTICE = (
    "AutoScout24's robots.txt disallows search and detail pages for every user agent and its "
    "terms forbid automated access without consent; ROBOTSTXT_OBEY is %s. Crawl only with the "
    "site's consent or where the law allows it."
)


class AutoscoutSpider(PageSpider):
    name = "autoscout"
    ledgers: dict[str, Ledger]
    allowed_domains: list[str]  # read by Scrapy's offsite filter

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        try:
            spider.config = build_config(kwargs, crawler.settings)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        # Pictures live on another domain: without it every image request would be offsite.
        spider.allowed_domains = [spider.config.site_host, *spider.config.picture_hosts]
        if spider.config.browser:
            browser.enable(crawler.settings)
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        url = redis_state.redis_url(settings)
        if url:  # a shared crawl: scrapy-redis's scheduler and dupefilter
            redis_crawl.enable(settings, url)

    def tally(self) -> Tally:
        """Where the bookkeeping lives: in Redis for a shared crawl, else in the spider's state
        (kept by JOBDIR for a resume)."""
        if self.config.redis_url:
            return redis_crawl.tally(self)
        if not hasattr(self, "state"):  # Scrapy sets it (kept across a resume) only with JOBDIR
            self.state: dict[str, Any] = {}
        return MemoryTally(self.state.setdefault("ledger", {}))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.logger.warning(ROBOTS_NOTICE, self.settings.getbool("ROBOTSTXT_OBEY"))
        models, tally = self.config.models, self.tally()
        self.ledgers = {model.folder: Ledger(tally, model.folder, model.years) for model in models}
        self.logger.info(
            "Crawling %d model(s) from %s: %s", len(models), self.config.origin,
            "; ".join(model.describe() for model in models),
        )  # fmt: skip
        for model in models:
            for year in model.years:
                yield self._search(Slice(model.folder, year), self.parse_search)
            if self.config.every_year:  # the search without a year filter, for its total
                yield self._search(Slice(model.folder, None), self.parse_unfiltered_total)

    def _search(
        self, search: Slice, callback: Callable[..., Any], dont_filter: bool = False
    ) -> scrapy.Request:
        car = self.config.model(search.model).car
        return scrapy.Request(
            site.search_url(
                self.config.origin, car.make, car.model, car.version,
                search.year, search.page, search.band,
            ),
            callback=callback,
            errback=self.page_failed,
            cb_kwargs={"search": search},
            meta=self._page_meta(),
            dont_filter=dont_filter,
        )  # fmt: skip

    def parse_search(self, response: Response, search: Slice) -> Iterator[scrapy.Request]:
        props = yield from self._props(response, search.model)
        if props is None:
            return
        result = site.parse_search(props)
        self._count(search.model, "pages/search")
        if search.page == 1:
            yield from self._count_slice(search, result.number_of_results)
            if self._split(search, result.number_of_results):
                yield from (
                    self._search(Slice(search.model, search.year, band, parent=search.band),
                                 self.parse_search)
                    for band in site.split_band(search.band)
                )  # fmt: skip
                return
        yield from self._listings(response, search.model, result.listings)
        if result.listings and search.page < self.config.page_cap:
            yield self._search(search.at(search.page + 1), self.parse_search)

    def _count_slice(self, search: Slice, results: int) -> Iterator[scrapy.Request]:
        assert search.year is not None  # year searches only
        ledger = self.ledgers[search.model]
        missing = ledger.count_slice(search.year, search.band, search.parent, results)
        if missing > 0:
            self.logger.info(
                "%s, year %d: %d listings are in none of its price bands (no price shown?): "
                "walking the year's search for them", search.model, search.year, missing,
            )  # fmt: skip
            yield from self._start_gap_walk(Slice(search.model, search.year), missing)
        if search.band == site.ANY_PRICE:
            self._count(search.model, "listings/known", results)  # the progress line's
            yield from self._year_gap(search.model)

    def _split(self, search: Slice, results: int) -> bool:
        """Whether a slice over the page cap is split into price bands; one that cannot be split
        is walked as far as the cap reaches, the rest counted out of reach."""
        reachable = self.config.page_cap * site.PAGE_SIZE
        if results <= reachable:
            return False
        if site.split_band(search.band):
            self._count(search.model, "slices/split")
            return True
        self._out_of_reach(search.model, "past_page_cap", results - reachable)
        self.logger.warning(
            "%s, year %s, %s: %d results, over the cap and cannot be split; %d are out of reach",
            search.model, search.year, site.band_text(search.band), results, results - reachable,
        )  # fmt: skip
        return False

    def parse_unfiltered_total(self, response: Response, search: Slice) -> Iterator[Any]:
        props = yield from self._props(response, search.model)
        if props is None:
            return
        self._count(search.model, "pages/search")
        self.ledgers[search.model].count_unfiltered(site.parse_search(props).number_of_results)
        yield from self._year_gap(search.model)

    def _year_gap(self, model: str) -> Iterator[scrapy.Request]:
        """Once the unfiltered total and every year's total are known: if the years add up to
        less, walk the unfiltered search for the listings no year search can reach."""
        missing = self.ledgers[model].year_gap() if self.config.every_year else 0
        if missing > 0:
            years = self.config.model(model).years
            self.logger.info(
                "%s: %d listings have no first registration in %d-%d (new cars?): walking the "
                "search without a year filter for them", model, missing, years[0], years[-1],
            )  # fmt: skip
            self._count(model, "listings/known", missing)
            yield from self._start_gap_walk(Slice(model, None), missing)

    def _start_gap_walk(self, search: Slice, missing: int) -> Iterator[scrapy.Request]:
        self.ledgers[search.model].start_gap(search.year, missing)
        # Page 1 was fetched once already, for its total.
        yield self._search(replace(search, gap=True), self.parse_gap, dont_filter=True)

    def parse_gap(self, response: Response, search: Slice) -> Iterator[Any]:
        props = yield from self._props(response, search.model)
        if props is None:
            return
        result = site.parse_search(props)
        self._count(search.model, "pages/search")
        years = self.config.model(search.model).years
        wanted = tuple(ref for ref in result.listings if search.only_here(ref, years))
        self.ledgers[search.model].gap_found(search.year, (ref.id for ref in wanted))
        yield from self._listings(response, search.model, wanted)
        if result.listings and search.page < self.config.page_cap:
            yield self._search(search.at(search.page + 1), self.parse_gap)
        else:
            self._close_gap(search)

    def _close_gap(self, search: Slice) -> None:
        gap, every_year = self.ledgers[search.model].close_gap(search.year), search.year is None
        self._count(search.model, f"listings/{'outside_years' if every_year else 'without_price'}",
                    gap.found)  # fmt: skip
        if gap.out_of_reach <= 0:
            return
        reason = "no_registration_year" if every_year else "no_price_band"
        self._out_of_reach(search.model, reason, gap.out_of_reach)
        where = "the search without a year filter" if every_year else f"year {search.year}"
        self.logger.warning(
            "%s, %s: %d listings it alone shows are past its %d pages and out of reach",
            search.model, where, gap.out_of_reach, self.config.page_cap,
        )  # fmt: skip

    def _out_of_reach(self, model: str, reason: str, listings: int) -> None:
        self._count(model, f"listings/out_of_reach/{reason}", listings)

    def _listings(
        self, response: Response, model: str, refs: tuple[site.ListingRef, ...]
    ) -> Iterator[scrapy.Request]:
        ledger = self.ledgers[model]
        for ref in refs:
            if not ledger.first_sight(ref.id):
                self._count(model, "listings/duplicate")
                continue
            self._count(model, "listings/seen")
            yield self._detail(response.urljoin(ref.url), model, moves=0)

    def _detail(self, url: str, model: str, moves: int) -> scrapy.Request:
        meta = self._page_meta() | {"dont_redirect": True, "handle_httpstatus_list": DETAIL_CODES}
        # Detail pages before more search pages: photos start flowing at once. The ledger opens
        # each listing once per model; a listing under two models is opened for each of them,
        # so the request dupefilter must not drop the second.
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.page_failed,
            cb_kwargs={"model": model, "moves": moves},
            meta=meta,
            priority=10,
            dont_filter=True,
        )

    def parse_listing(self, response: Response, model: str, moves: int) -> Iterator[Any]:
        location = (response.headers.get(b"Location") or b"").decode("latin-1") or None
        status = site.detail_status(response.status, location)
        if status == "moved" and location and moves < MAX_MOVES:
            self._count(model, "listings/moved")
            yield self._detail(response.urljoin(location), model, moves + 1)
            return
        self._count(model, "listings/done")  # for the progress line
        if status == "moved":
            self._count(model, "dropped/listing_moved_too_often")
            return
        props = None if status == "sold" else (yield from self._props(response, model))
        details = site.parse_details(props) if props is not None else None
        if details is not None:
            yield from self._images(response.url, model, details)
        elif status == "sold" or props is not None:  # a page without a listing: sold as well
            self._count(model, "listings/sold")

    def _images(
        self, listing_url: str, model: str, details: site.ListingDetails
    ) -> Iterator[ImageItem]:
        if not details.images:
            self._count(model, "listings/no_images")
            return
        config = self.config
        for url in details.images:
            image_id = site.image_id(url)
            if image_id is None:
                self._count(model, "dropped/not_a_listing_picture")
            elif not config.allows_image(url):
                self._count(model, "dropped/offsite_image")
            else:
                self._count(model, "images/found")
                resized = site.resize_image_url(url, config.image_size, config.image_format)
                yield ImageItem.of_listing(details, listing_url, model, image_id, resized)

    def closed(self, reason: str) -> None:
        """Names each model whose search could not be read at all (unknown to the site, or
        blocked): nothing was crawled for it, while the other models went on."""
        stats = self.crawler.stats.get_stats()
        for model in self.config.models:
            prefix = f"{MODEL_PREFIX}{model.folder}/"
            failed = {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}
            failed = {k: v for k, v in failed.items() if k.startswith("dropped/page")}
            if failed and not stats.get(f"{prefix}pages/search"):
                self._count(model.folder, "search_failed")
                console.error(
                    "Model %s: its search failed (%s): nothing was crawled for it",
                    model.folder, ", ".join(f"{k} {v}" for k, v in sorted(failed.items())),
                )  # fmt: skip
