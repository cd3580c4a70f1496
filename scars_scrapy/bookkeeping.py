"""The search's bookkeeping: listings seen, each slice's total, and the walks for the gaps.

A year over the page cap is split into price bands; listings without a price are in none of
them, so once every band of a year has reported, a year whose bands add up to less is walked for
them (a price gap). With every year wanted, the search without a year filter gives a total; if
the years add up to less (new cars have no registration), that search is walked too (a year gap).

`Ledger` decides all of this over a `Tally`, a handful of set and counter primitives with two
implementations: `MemoryTally` in the spider's `state` (kept across a resume with JOBDIR) and
`RedisTally` (scars_scrapy.redis_state), so that workers on several machines decide each walk
once, with every worker's counts. Nothing here does I/O of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from scars_scrapy import site


class Tally(Protocol):
    """Named sets of strings and named maps of integers; `claim` is true once per key."""

    def add(self, name: str, members: Iterable[str]) -> int:
        """Adds `members` to set `name`; how many of them were new."""
        ...

    def size(self, name: str) -> int: ...

    def put(self, name: str, key: str, value: int) -> None: ...

    def get(self, name: str, keys: Sequence[str]) -> list[int | None]: ...

    def claim(self, name: str, key: str) -> bool:
        """True for the first caller only (across every worker sharing the tally)."""
        ...


class MemoryTally:
    """A tally in a plain dict of sets and dicts, as Scrapy pickles the spider's `state`."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def _set(self, name: str) -> set[str]:
        found: set[str] = self.state.setdefault(name, set())
        return found

    def _map(self, name: str) -> dict[str, int]:
        found: dict[str, int] = self.state.setdefault(name, {})
        return found

    def add(self, name: str, members: Iterable[str]) -> int:
        found = self._set(name)
        before = len(found)
        found.update(members)
        return len(found) - before

    def size(self, name: str) -> int:
        return len(self._set(name))

    def put(self, name: str, key: str, value: int) -> None:
        self._map(name)[key] = value

    def get(self, name: str, keys: Sequence[str]) -> list[int | None]:
        values = self._map(name)
        return [values.get(key) for key in keys]

    def claim(self, name: str, key: str) -> bool:
        return self.add(name, [key]) == 1


@dataclass(frozen=True)
class Slice:
    """One search page of a model: a year (None: every year) and a price band; `parent` is the
    band it was split from (None: a year's own search). A gap walk's pages (`gap`) keep only
    the listings that no narrower search shows."""

    model: str
    year: int | None
    band: site.PriceBand = site.ANY_PRICE
    parent: site.PriceBand | None = None
    page: int = 1
    gap: bool = False

    def at(self, page: int) -> Slice:
        return replace(self, page=page)

    def only_here(self, ref: site.ListingRef, years: Sequence[int]) -> bool:
        """For a gap walk: a listing without a price (in a year's search), or outside
        `years` (in the search without a year filter)."""
        if self.year is not None:
            return ref.price is None
        registered = ref.first_registration
        return registered is None or int(registered[:4]) not in years


@dataclass(frozen=True)
class GapResult:
    """A finished gap walk: listings it found, and those it showed past its page cap."""

    found: int
    out_of_reach: int


def slice_key(year: int | None, band: site.PriceBand) -> str:
    low, high = ("" if end is None else str(end) for end in band)
    return f"{'any' if year is None else year}/{low}-{high}"


class Ledger:
    """The bookkeeping of one model's search (`scope` keeps models apart in one tally)."""

    def __init__(self, tally: Tally, scope: str, years: Sequence[int]) -> None:
        self.tally, self.scope, self.years = tally, scope, tuple(years)

    def _name(self, what: str) -> str:
        return f"{self.scope}/{what}"

    def first_sight(self, listing_id: str) -> bool:
        """True the first time a listing is seen in this crawl (by any worker)."""
        return self.tally.add(self._name("listings"), [listing_id]) == 1

    def count_slice(
        self, year: int, band: site.PriceBand, parent: site.PriceBand | None, results: int
    ) -> int:
        """Records a slice's total; the listings a price-gap walk of `year` must look for,
        once, when the last of its top-level price bands has reported (else 0)."""
        self.tally.put(self._name("slices"), slice_key(year, band), results)
        if parent != site.ANY_PRICE:
            return 0
        keys = [slice_key(year, smaller) for smaller in site.split_band(site.ANY_PRICE)]
        total, *bands = self.tally.get(self._name("slices"), [slice_key(year, parent), *keys])
        if total is None or None in bands:
            return 0
        if not self.tally.claim(self._name("price_gaps_checked"), str(year)):
            return 0
        return max(0, total - sum(count or 0 for count in bands))

    def count_unfiltered(self, results: int) -> None:
        self.tally.put(self._name("slices"), slice_key(None, site.ANY_PRICE), results)

    def year_gap(self) -> int:
        """The listings outside every year searched that a walk of the search without a year
        filter must look for, once, when that total and every year's are known (else 0)."""
        keys = [slice_key(year, site.ANY_PRICE) for year in (None, *self.years)]
        total, *years = self.tally.get(self._name("slices"), keys)
        if total is None or None in years:
            return 0
        if not self.tally.claim(self._name("years_settled"), "all"):
            return 0
        return max(0, total - sum(count or 0 for count in years))

    def start_gap(self, year: int | None, missing: int) -> None:
        self.tally.put(self._name("gaps"), slice_key(year, site.ANY_PRICE), missing)

    def gap_found(self, year: int | None, listing_ids: Iterable[str]) -> None:
        self.tally.add(self._name(f"gap/{slice_key(year, site.ANY_PRICE)}"), listing_ids)

    def close_gap(self, year: int | None) -> GapResult:
        key = slice_key(year, site.ANY_PRICE)
        (missing,) = self.tally.get(self._name("gaps"), [key])
        found = self.tally.size(self._name(f"gap/{key}"))
        return GapResult(found, max(0, (missing or 0) - found))
