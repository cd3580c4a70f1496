"""Counts per stage, from records: how many went in, came out, and were rejected for what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from filtering.records import CANDIDATE, DUPLICATE, PLACED, REJECTED, Record
from filtering.stage_list import STAGE_NAMES as STAGES


@dataclass
class StageCount:
    stage: str
    entered: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def passed(self) -> int:
        return self.entered - sum(self.rejected.values())


# Not a filtering stage: the review tool records the moves a person applied under this stage.
REVIEW = "review"


def stage_counts(records: Iterable[Record]) -> list[StageCount]:
    """Each record passes every stage before the one it ended at (or all, when it was kept).
    The review's row is there only when a review moved something."""
    counts = [StageCount(stage) for stage in (*STAGES, REVIEW)]
    for record in records:
        last = _last_stage(record)
        for count in counts[: last + 1]:
            count.entered += 1
        if record["fate"] in (REJECTED, DUPLICATE):
            counts[last].rejected[record["reason"] or "unknown"] += 1
    return counts if counts[-1].entered else counts[:-1]


def outcome_counts(records: Iterable[Record]) -> Counter[str]:
    return Counter(r["fate"] for r in records if r["fate"] in (*PLACED, CANDIDATE))


def table_rows(counts: list[StageCount]) -> list[tuple[str, int, int, int, str]]:
    rows = []
    for count in counts:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(count.rejected.items()))
        rejected = sum(count.rejected.values())
        rows.append((count.stage, count.entered, count.passed, rejected, reasons or "-"))
    return rows


HEADER = ("stage", "in", "out", "rejected", "reasons")


def format_table(counts: list[StageCount]) -> str:
    rows = [HEADER, *[tuple(str(c) for c in row) for row in table_rows(counts)]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = []
    for row in rows:
        first, *numbers = row[:-1]
        cells = [first.ljust(widths[0])] + [
            n.rjust(w) for n, w in zip(numbers, widths[1:], strict=True)
        ]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def _last_stage(record: Record) -> int:
    stage = record.get("stage")
    if stage == REVIEW:
        return len(STAGES)
    return STAGES.index(stage) if stage in STAGES else len(STAGES) - 1
