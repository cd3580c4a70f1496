"""The search's bookkeeping (scars_scrapy.bookkeeping), on every tally it runs on."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

from scars_scrapy import site
from scars_scrapy.bookkeeping import Ledger, MemoryTally, Tally, slice_key

BANDS = site.split_band(site.ANY_PRICE)
YEARS = (2020, 2021)


def memory() -> Tally:
    return MemoryTally({})


@pytest.fixture(params=["memory", "redis"])
def new_tally(request: pytest.FixtureRequest) -> Callable[[], Tally]:
    """A factory of tallies that share one store (as the workers of one crawl do)."""
    if request.param == "memory":
        state: dict = {}
        return lambda: MemoryTally(state)
    from scars_scrapy.redis_state import RedisTally, connect

    url = request.getfixturevalue("redis_url")
    return lambda: RedisTally(connect(url), "test")


def report_bands(ledger: Ledger, year: int, totals: list[int]) -> list[int]:
    return [
        ledger.count_slice(year, band, site.ANY_PRICE, total)
        for band, total in zip(BANDS, totals, strict=True)
    ]


def test_price_gap_is_decided_once_when_the_last_band_reports(
    new_tally: Callable[[], Tally],
) -> None:
    ledger = Ledger(new_tally(), "vogue", YEARS)
    assert ledger.count_slice(2021, site.ANY_PRICE, None, 100) == 0
    totals = [8] * len(BANDS)
    gaps = report_bands(ledger, 2021, totals)
    assert gaps == [0] * (len(BANDS) - 1) + [100 - sum(totals)]
    assert ledger.count_slice(2021, BANDS[0], site.ANY_PRICE, 8) == 0  # already decided
    # A band split further reports with its own parent: it does not count toward the year.
    assert ledger.count_slice(2021, (0, 2_499), BANDS[0], 7) == 0


def test_price_gap_waits_for_the_years_own_total(new_tally: Callable[[], Tally]) -> None:
    ledger = Ledger(new_tally(), "vogue", YEARS)
    assert report_bands(ledger, 2020, [1] * len(BANDS)) == [0] * len(BANDS)
    assert ledger.count_slice(2020, site.ANY_PRICE, None, 5) == 0  # total known only now


def test_bands_adding_up_need_no_walk(new_tally: Callable[[], Tally]) -> None:
    ledger = Ledger(new_tally(), "vogue", YEARS)
    ledger.count_slice(2020, site.ANY_PRICE, None, len(BANDS) * 3)
    assert report_bands(ledger, 2020, [3] * len(BANDS))[-1] == 0


def test_year_gap_needs_every_year_and_the_unfiltered_total(
    new_tally: Callable[[], Tally],
) -> None:
    ledger = Ledger(new_tally(), "vogue", YEARS)
    ledger.count_slice(2020, site.ANY_PRICE, None, 30)
    ledger.count_unfiltered(75)
    assert ledger.year_gap() == 0  # 2021 not known yet
    ledger.count_slice(2021, site.ANY_PRICE, None, 40)
    assert ledger.year_gap() == 5
    assert ledger.year_gap() == 0  # decided once


def test_gap_walk_counts_what_it_found_and_what_is_out_of_reach(
    new_tally: Callable[[], Tally],
) -> None:
    ledger = Ledger(new_tally(), "vogue", YEARS)
    ledger.start_gap(None, 5)
    ledger.gap_found(None, ["a", "b"])
    ledger.gap_found(None, ["b", "c"])  # a listing repeated across pages counts once
    result = ledger.close_gap(None)
    assert (result.found, result.out_of_reach) == (3, 2)
    ledger.start_gap(2020, 1)
    ledger.gap_found(2020, ["x", "y"])
    assert ledger.close_gap(2020).out_of_reach == 0


def test_listings_are_first_seen_once_per_model(new_tally: Callable[[], Tally]) -> None:
    vogue, defender = Ledger(new_tally(), "vogue", YEARS), Ledger(new_tally(), "defender", YEARS)
    assert vogue.first_sight("l1") and not vogue.first_sight("l1")
    assert defender.first_sight("l1")  # the same listing under another model


def test_workers_sharing_a_tally_decide_each_walk_once(new_tally: Callable[[], Tally]) -> None:
    """Two workers' ledgers over one store: the band that reports last, on either worker,
    decides the price gap; the other worker's listing is not seen again."""
    first, second = Ledger(new_tally(), "vogue", YEARS), Ledger(new_tally(), "vogue", YEARS)
    first.count_slice(2021, site.ANY_PRICE, None, 50)
    half = len(BANDS) // 2
    for band in BANDS[:half]:
        assert first.count_slice(2021, band, site.ANY_PRICE, 4) == 0
    gaps = [second.count_slice(2021, band, site.ANY_PRICE, 4) for band in BANDS[half:]]
    assert gaps[-1] == 50 - 4 * len(BANDS) and sum(gaps) == gaps[-1]
    assert first.first_sight("l1") and not second.first_sight("l1")


def test_memory_tally_survives_pickling_as_jobdir_keeps_it() -> None:
    state: dict = {}
    ledger = Ledger(MemoryTally(state), "vogue", YEARS)
    ledger.first_sight("l1")
    ledger.count_slice(2020, site.ANY_PRICE, None, 9)
    restored = Ledger(MemoryTally(pickle.loads(pickle.dumps(state))), "vogue", YEARS)
    assert not restored.first_sight("l1")
    restored.count_unfiltered(12)
    restored.count_slice(2021, site.ANY_PRICE, None, 1)
    assert restored.year_gap() == 2


@pytest.mark.parametrize(
    ("year", "band", "key"),
    [(2020, site.ANY_PRICE, "2020/-"), (None, site.ANY_PRICE, "any/-"),
     (2021, (0, 4_999), "2021/0-4999"), (2021, (150_000, None), "2021/150000-")],
)  # fmt: skip
def test_slice_keys(year: int | None, band: site.PriceBand, key: str) -> None:
    assert slice_key(year, band) == key
