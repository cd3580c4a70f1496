"""Progress lines and the final summary as text, from Scrapy stats.

The counts are the project's own stats (`scars/...`); a crawl of several models also keeps
them per model under `scars/model/<slug>/...` with the same names, shown as a section each.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "scars/"
MODEL_PREFIX = "scars/model/"
# Scrapy's own counters the summary repeats, so one file tells the whole story.
SCRAPY_KEYS = (
    "file_status_count/downloaded", "file_status_count/uptodate", "item_scraped_count",
)  # fmt: skip
SCRAPY_NAMES = ("photos downloaded", "photos up to date", "items")


@dataclass(frozen=True)
class Counts:
    known: int  # listings the searches report (their totals)
    done: int  # listings whose detail page has been read
    stored: int  # photos stored
    skipped: int
    dropped: int
    blocks: int

    @classmethod
    def of(cls, stats: Mapping[str, Any], prefix: str = PREFIX) -> Counts:
        own = section(stats, prefix)

        def total(group: str) -> int:
            return sum(value for key, value in own.items() if key.startswith(group))

        return cls(
            # The searches' totals leave out pinned listings, which are read as well.
            known=max(own.get("listings/known", 0), own.get("listings/seen", 0)),
            done=own.get("listings/done", 0),
            stored=own.get("images/stored", 0),
            skipped=total("skipped/"),
            dropped=total("dropped/"),
            blocks=own.get("block_retry/count", 0),
        )


def section(stats: Mapping[str, Any], prefix: str = PREFIX) -> dict[str, Any]:
    """The counts under `prefix`, by their name after it. The totals leave out the models'
    own counts."""
    totals = prefix == PREFIX
    return {
        key[len(prefix) :]: value
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and not (totals and key.startswith(MODEL_PREFIX))
    }


def models(stats: Mapping[str, Any]) -> list[str]:
    """The models that have counts of their own, by slug, when there are several: a crawl of
    one model has its counts in the totals, and a section would repeat them."""
    found = {
        key[len(MODEL_PREFIX) :].split("/")[0] for key in stats if key.startswith(MODEL_PREFIX)
    }
    return sorted(found) if len(found) > 1 else []


class RateWindow:
    """Photos and listings per second over the last `seconds`, from samples of the counts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.samples: deque[tuple[float, int, int]] = deque()  # (time, stored, done)

    def add(self, now: float, counts: Counts) -> None:
        self.samples.append((now, counts.stored, counts.done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.seconds:
            self.samples.popleft()  # keep one sample at or past the window's start

    def rates(self) -> tuple[float, float] | None:
        """(photos/s, listings/s), or None before a second's worth of samples."""
        if len(self.samples) < 2 or self.span() < 1.0:
            return None
        (t0, stored0, done0), (t1, stored1, done1) = self.samples[0], self.samples[-1]
        return (stored1 - stored0) / (t1 - t0), (done1 - done0) / (t1 - t0)

    def span(self) -> float:
        return self.samples[-1][0] - self.samples[0][0] if self.samples else 0.0


def duration(seconds: float) -> str:
    """`2 h 05 min`, `4 min 10 s`, `12 s`."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def time_left(counts: Counts, listings_per_s: float) -> str:
    if counts.known == 0:
        return "time left: not known yet (no search total yet)"
    if counts.done > counts.known:
        # A worker of a shared crawl reads listings that other workers' searches found.
        return "time left: not known on this worker (it reads listings others found)"
    remaining = max(counts.known - counts.done, 0)
    if remaining == 0:
        return "about 0 s left"
    if listings_per_s <= 0:
        return "time left: not known yet (no listing done lately)"
    return f"about {duration(remaining / listings_per_s)} left"


def listings_text(counts: Counts) -> str:
    """`listings 120/2,400 done (5%), photos 2,345 stored`, then skips, drops and blocks."""
    if counts.known >= counts.done:
        share = f" ({counts.done / counts.known:.0%})" if counts.known else ""
        listings = f"listings {counts.done:,}/{counts.known:,} done{share}"
    else:  # a worker of a shared crawl: its searches' totals are not the crawl's
        listings = f"listings {counts.done:,} done ({counts.known:,} found by this worker)"
    text = f"{listings}, photos {counts.stored:,} stored"
    others = {"skipped": counts.skipped, "dropped": counts.dropped, "blocks": counts.blocks}
    return ", ".join([text, *(f"{value:,} {name}" for name, value in others.items() if value)])


def progress_line(counts: Counts, window: RateWindow) -> str:
    """One line: listings done of those known, photos stored, the rate and the time left."""
    rates = window.rates()
    if rates is None:
        return f"Progress: {listings_text(counts)}"
    photos_per_s, listings_per_s = rates
    return (
        f"Progress: {listings_text(counts)}, {photos_per_s:.1f} photos/s"
        f" (last {duration(window.span())}), {time_left(counts, listings_per_s)}"
    )


def model_lines(stats: Mapping[str, Any]) -> list[str]:
    """A line per model of a crawl of several: its listings and photos."""
    return [f"  {slug}: {listings_text(model_counts(stats, slug))}" for slug in models(stats)]


def model_counts(stats: Mapping[str, Any], slug: str) -> Counts:
    return Counts.of(stats, f"{MODEL_PREFIX}{slug}/")


def grouped(counts: Mapping[str, Any], indent: str) -> list[str]:
    """`listings/sold: 2, listings/seen: 98` as `listings: seen 98, sold 2`, a line a group
    (`search_failed: 1` for a count of no group)."""
    groups: dict[str, list[str]] = {}
    for key, value in counts.items():
        group, _, name = key.partition("/")
        groups.setdefault(group, []).append(f"{name} {value:,}" if name else f"{value:,}")
    return [f"{indent}{group}: {', '.join(items)}" for group, items in groups.items()]


def summary_lines(stats: Mapping[str, Any], reason: str, elapsed: float) -> list[str]:
    """The final summary: the totals, every count by group, then a section per model."""
    lines = [f"Summary ({reason}, {duration(elapsed)}): {listings_text(Counts.of(stats))}"]
    lines += grouped(section(stats), "  ")
    scrapy = {name: stats.get(key, 0) for name, key in zip(SCRAPY_NAMES, SCRAPY_KEYS, strict=True)}
    lines.append("  scrapy: " + ", ".join(f"{k} {v:,}" for k, v in scrapy.items()))
    for slug in models(stats):
        lines.append(f"  model {slug}: {listings_text(model_counts(stats, slug))}")
        lines += grouped(section(stats, f"{MODEL_PREFIX}{slug}/"), "    ")
    return lines
