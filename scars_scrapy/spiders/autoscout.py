"""`scrapy crawl autoscout -a model=range-rover-vogue`: every photo of every listing of a model.

The search is walked per first-registration year, page by page; a year with more results than
the site shows is split into price bands. When every year is wanted, the search without a year
filter is walked too if the years do not add up to its total (new cars have no registration).
Each listing's detail page gives all its photos; listings out of reach are counted by reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Self

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scars_scrapy import browser, site
from scars_scrapy.config import ConfigError, CrawlConfig, build_config
from scars_scrapy.items import ImageItem
from scars_scrapy.middlewares import PAGE_META

DETAIL_STATUSES = [301, 302, 303, 307, 308, 410]
MAX_MOVES = 3
MALFORMED_RETRIES = 2
# Meta keys a retried page keeps; Scrapy's own (latency, retry counts) start afresh.
OWN_META = {PAGE_META, "playwright", "dont_redirect", "handle_httpstatus_list"}
ROBOTS_NOTICE = (
    "AutoScout24's robots.txt disallows search and detail pages for every user agent and its "
    "terms forbid automated access without consent; ROBOTSTXT_OBEY is %s. Crawl only with the "
    "site's consent or where the law allows it."
)


class AutoscoutSpider(scrapy.Spider):
    name = "autoscout"
    config: CrawlConfig

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

    async def start(self) -> AsyncIterator[scrapy.Request]:
        obey = self.settings.getbool("ROBOTSTXT_OBEY")
        self.logger.warning(ROBOTS_NOTICE, obey)
        car = self.config.car
        self.logger.info(
            "Crawling %s/%s%s, years %d-%d, from %s into %s",
            car.make, car.model, f" ({car.version})" if car.version else "",
            self.config.years[0], self.config.years[-1], self.config.origin, self.config.folder,
        )  # fmt: skip
        if not hasattr(self, "state"):  # Scrapy sets it (kept across a resume) only with JOBDIR
            self.state: dict[str, Any] = {}
        self.state.setdefault("listings", set())
        for year in self.config.years:
            yield self._search(year, 1, site.ANY_PRICE)
        if self.config.every_year:
            yield self._unfiltered_total()

    def _page_meta(self) -> dict[str, Any]:
        return {PAGE_META: True, "playwright": True} if self.config.browser else {PAGE_META: True}

    def _search_page(
        self,
        year: int | None,
        page: int,
        band: site.PriceBand,
        callback: Callable[..., Any],
        cb_kwargs: dict[str, Any],
        dont_filter: bool = False,
    ) -> scrapy.Request:
        """A search page (one year, or with `year` None every year, and a price band)."""
        car, origin = self.config.car, self.config.origin
        return scrapy.Request(
            site.search_url(origin, car.make, car.model, car.version, year, page, band),
            callback=callback,
            errback=self.page_failed,
            cb_kwargs=cb_kwargs,
            meta=self._page_meta(),
            dont_filter=dont_filter,
        )

    def _search(
        self, year: int, page: int, band: site.PriceBand, parent: site.PriceBand | None = None
    ) -> scrapy.Request:
        kwargs = {"year": year, "page": page, "band": band, "parent": parent}
        return self._search_page(year, page, band, self.parse_search, kwargs)

    def parse_search(
        self,
        response: Response,
        year: int,
        page: int,
        band: site.PriceBand,
        parent: site.PriceBand | None = None,
    ) -> Iterator[scrapy.Request]:
        props = yield from self._props(response)
        if props is None:
            return
        result = site.parse_search(props)
        self.crawler.stats.inc_value("scars/pages/search")
        reachable = self.config.page_cap * site.PAGE_SIZE
        if page == 1:
            yield from self._count_slice(year, band, parent, result.number_of_results)
            if band == site.ANY_PRICE:
                # The year's total: the progress line's listings known.
                self.crawler.stats.inc_value("scars/listings/known", result.number_of_results)
                yield from self._settle_years()
        if page == 1 and result.number_of_results > reachable:
            bands = site.split_band(band)
            if bands:
                self.crawler.stats.inc_value("scars/slices/split")
                yield from (self._search(year, 1, smaller, parent=band) for smaller in bands)
                return
            self._out_of_reach("past_page_cap", result.number_of_results - reachable)
            self.logger.warning(
                "Year %d, %s: %d results, over the cap and cannot be split; %d are out "
                "of reach", year, site.band_text(band), result.number_of_results,
                result.number_of_results - reachable,
            )  # fmt: skip
        yield from self._listings(response, result.listings)
        if result.listings and page < self.config.page_cap:
            yield self._search(year, page + 1, band, parent)

    def _count_slice(
        self, year: int, band: site.PriceBand, parent: site.PriceBand | None, results: int
    ) -> Iterator[scrapy.Request]:
        """Listings without a price (price on request) are in a year's results but in none of
        its price bands: once every band of a split year has reported, a year whose bands add
        up to less is walked for them."""
        counts: dict[tuple[int, site.PriceBand], int] = self.state.setdefault("slices", {})
        counts[(year, band)] = results
        checked: set[int] = self.state.setdefault("price_gaps_checked", set())
        if parent != site.ANY_PRICE or year in checked:
            return
        bands = [(year, smaller) for smaller in site.split_band(site.ANY_PRICE)]
        if any(key not in counts for key in bands):
            return
        checked.add(year)
        missing = counts[(year, site.ANY_PRICE)] - sum(counts[key] for key in bands)
        if missing > 0:
            self.logger.info(
                "Year %d: %d listings are in none of its price bands (no price shown?): "
                "walking the year's search for them", year, missing,
            )  # fmt: skip
            yield from self._start_gap_walk(year, missing)

    def _unfiltered_total(self) -> scrapy.Request:
        """Page 1 of the search without a year filter, for its total: if the years add up to
        less, some listings have no first registration in them (new cars)."""
        return self._search_page(None, 1, site.ANY_PRICE, self.parse_unfiltered_total, {})

    def parse_unfiltered_total(self, response: Response) -> Iterator[scrapy.Request]:
        props = yield from self._props(response)
        if props is None:
            return
        self.crawler.stats.inc_value("scars/pages/search")
        self.state["unfiltered_total"] = site.parse_search(props).number_of_results
        yield from self._settle_years()

    def _settle_years(self) -> Iterator[scrapy.Request]:
        """Once the unfiltered total and every year's total are known: if the years add up to
        less, walk the unfiltered search for the listings no year search can reach."""
        counts = self.state.get("slices", {})
        years = self.config.years
        if "unfiltered_total" not in self.state or "years_settled" in self.state:
            return
        if any((year, site.ANY_PRICE) not in counts for year in years):
            return
        self.state["years_settled"] = True
        missing = self.state["unfiltered_total"] - sum(counts[(y, site.ANY_PRICE)] for y in years)
        if missing > 0:
            self.crawler.stats.inc_value("scars/listings/known", missing)
            self.logger.info(
                "%d listings have no first registration in %d-%d (new cars?): walking the "
                "search without a year filter for them", missing, years[0], years[-1],
            )  # fmt: skip
            yield from self._start_gap_walk(None, missing)

    def _start_gap_walk(self, year: int | None, missing: int) -> Iterator[scrapy.Request]:
        self.state.setdefault("gaps", {})[year] = {"missing": missing, "found": set()}
        yield self._gap_page(year, 1)

    def _gap_page(self, year: int | None, page: int) -> scrapy.Request:
        """A page of a search that holds listings no narrower search shows: one whole year (for
        those without a price) or, with `year` None, every year (for those outside the years)."""
        kwargs = {"year": year, "page": page}
        # Page 1 was fetched once already, for its total.
        return self._search_page(
            year, page, site.ANY_PRICE, self.parse_gap, kwargs, dont_filter=page == 1
        )

    def parse_gap(self, response: Response, year: int | None, page: int) -> Iterator[Any]:
        props = yield from self._props(response)
        if props is None:
            return
        result = site.parse_search(props)
        self.crawler.stats.inc_value("scars/pages/search")
        wanted = [ref for ref in result.listings if self._only_in_gap(year, ref)]
        found: set[str] = self.state["gaps"][year]["found"]
        found.update(ref.id for ref in wanted)
        yield from self._listings(response, wanted)
        if result.listings and page < self.config.page_cap:
            yield self._gap_page(year, page + 1)
        else:
            self._close_gap(year)

    def _only_in_gap(self, year: int | None, ref: site.ListingRef) -> bool:
        if year is None:
            registered = ref.first_registration
            return registered is None or int(registered[:4]) not in self.config.years
        return ref.price is None

    def _close_gap(self, year: int | None) -> None:
        gap = self.state["gaps"][year]
        found = len(gap["found"])
        self.crawler.stats.inc_value(
            "scars/listings/outside_years" if year is None else "scars/listings/without_price",
            found,
        )
        missing = gap["missing"] - found
        if missing <= 0:
            return
        if year is None:
            self._out_of_reach("no_registration_year", missing)
            where = "The search without a year filter"
        else:
            self._out_of_reach("no_price_band", missing)
            where = f"Year {year}"
        self.logger.warning(
            "%s: %d listings it alone shows are past its %d pages and out of reach",
            where, missing, self.config.page_cap,
        )  # fmt: skip

    def _out_of_reach(self, reason: str, listings: int) -> None:
        self.crawler.stats.inc_value(f"scars/listings/out_of_reach/{reason}", listings)

    def _listings(
        self, response: Response, refs: tuple[site.ListingRef, ...]
    ) -> Iterator[scrapy.Request]:
        seen: set[str] = self.state["listings"]
        for ref in refs:
            if ref.id in seen:
                self.crawler.stats.inc_value("scars/listings/duplicate")
                continue
            seen.add(ref.id)
            self.crawler.stats.inc_value("scars/listings/seen")
            yield self._detail(response.urljoin(ref.url), moves=0)

    def _detail(self, url: str, moves: int) -> scrapy.Request:
        meta = self._page_meta() | {
            "dont_redirect": True,
            "handle_httpstatus_list": DETAIL_STATUSES,
        }
        # Detail pages before more search pages: photos start flowing at once.
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.page_failed,
            cb_kwargs={"moves": moves},
            meta=meta,
            priority=10,
        )

    def parse_listing(self, response: Response, moves: int) -> Iterator[Any]:
        location = response.headers.get(b"Location", b"").decode("latin-1") or None
        status = site.detail_status(response.status, location)
        if status == "moved" and location and moves < MAX_MOVES:
            self.crawler.stats.inc_value("scars/listings/moved")
            yield self._detail(response.urljoin(location), moves + 1)
            return
        self.crawler.stats.inc_value("scars/listings/done")  # for the progress line
        if status == "moved":
            self.crawler.stats.inc_value("scars/dropped/listing_moved_too_often")
            return
        props = None if status == "sold" else (yield from self._props(response))
        details = site.parse_details(props) if props is not None else None
        if details is not None:
            yield from self._images(response.url, details)
        elif status == "sold" or props is not None:  # a page without a listing: sold as well
            self.crawler.stats.inc_value("scars/listings/sold")

    def _images(self, listing_url: str, details: site.ListingDetails) -> Iterator[ImageItem]:
        stats = self.crawler.stats
        if not details.images:
            stats.inc_value("scars/listings/no_images")
            return
        for url in details.images:
            image_id = site.image_id(url)
            if image_id is None:
                stats.inc_value("scars/dropped/not_a_listing_picture")
            elif not self.config.allows_image(url):
                stats.inc_value("scars/dropped/offsite_image")
            else:
                stats.inc_value("scars/images/found")
                yield self._item(listing_url, details, image_id, url)

    def _item(
        self, listing_url: str, details: site.ListingDetails, image_id: str, url: str
    ) -> ImageItem:
        resized = site.resize_image_url(url, self.config.image_size, self.config.image_format)
        return ImageItem(
            image_id=image_id,
            folder=self.config.folder,
            image_urls=[resized],
            listing_id=details.id,
            listing_url=listing_url,
            make=details.make,
            model=details.model,
            version=details.version,
            first_registration=details.first_registration,
            price=details.price,
        )

    def _props(self, response: Response) -> Iterator[scrapy.Request]:
        """The page's data; on a malformed page, a retry (yielded) and None."""
        try:
            return site.page_props(response.text)
        except site.PageDataError as exc:
            if site.PAGE_DATA_MARKER not in response.body:  # still blocked after every retry
                self.crawler.stats.inc_value("scars/dropped/page_blocked")
                self.logger.error("Giving up on %s: %s", response.url, exc)
                return None
            retries = response.meta.get("scars_malformed_retries", 0)
            if retries < MALFORMED_RETRIES:
                self.crawler.stats.inc_value("scars/retried/malformed_page")
                meta = {k: v for k, v in response.meta.items() if k in OWN_META}
                meta["scars_malformed_retries"] = retries + 1
                yield response.request.replace(dont_filter=True, meta=meta)
            else:
                self.crawler.stats.inc_value("scars/dropped/malformed_page")
                self.logger.error("Giving up on %s: %s", response.url, exc)
            return None

    def page_failed(self, failure: Failure) -> None:
        """A page that could not be fetched: counted, and its search slice reported incomplete."""
        error = failure.value
        reason = (
            f"http_{error.response.status}"
            if isinstance(error, HttpError)
            else type(error).__name__
        )
        self.crawler.stats.inc_value(f"scars/dropped/page_{reason}")
        self.logger.error(
            "Page failed (%s): %s; its listings may be incomplete", reason, failure.request.url
        )
