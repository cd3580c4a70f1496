"""The crawl's own counters in Scrapy's stats: each under `scars/<name>` for the whole crawl and
under `scars/model/<model>/<name>` for the model it belongs to, so the progress and the summary
can be given per model and in total from the same names."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

PREFIX = "scars/"
MODEL_PREFIX = "scars/model/"


def count(stats: StatsCollector, model: str | None, name: str, value: int = 1) -> None:
    """Adds `value` to the total `name` and, for a model's item or page, to that model's."""
    stats.inc_value(f"{PREFIX}{name}", value)
    if model:
        stats.inc_value(f"{MODEL_PREFIX}{model}/{name}", value)


def set_count(stats: StatsCollector, model: str, name: str, value: int) -> None:
    """Sets a model's `name`; the total is the sum over the models set so far."""
    stats.set_value(f"{MODEL_PREFIX}{model}/{name}", value)
    suffix = f"/{name}"
    total = sum(
        number
        for key, number in stats.get_stats().items()
        if key.startswith(MODEL_PREFIX) and key.endswith(suffix)
    )
    stats.set_value(f"{PREFIX}{name}", total)
