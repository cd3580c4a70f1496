"""The filtering stages, listed once and in order. The runner, its timers and progress bars, the
summary table, the report and the record's `stage` names all follow this list.

Adding a stage: write a module with one class of the `batch.Stage` protocol (see
`filtering/quality.py`), declare its thresholds in `settings.py`, and add the class here.
"""

from __future__ import annotations

from filtering.batch import RunContext, Stage
from filtering.placement import NearDuplicates
from filtering.quality import Quality
from filtering.stages import ClassifyStage, DetectStage, ExactDuplicates, Load

STAGE_TYPES: tuple[type[Stage], ...] = (
    Load,
    ExactDuplicates,
    DetectStage,
    ClassifyStage,
    Quality,
    NearDuplicates,
)
STAGE_NAMES: tuple[str, ...] = tuple(kind.name for kind in STAGE_TYPES)
LOAD, NEAR = STAGE_NAMES[0], NearDuplicates.name


def build_stages(run: RunContext) -> list[Stage]:
    return [kind(run) for kind in STAGE_TYPES]


def governing(stage: str, reason: str) -> tuple[str, ...]:
    """The settings that govern a stage's reason (none for a stage or reason not listed)."""
    kind = dict(zip(STAGE_NAMES, STAGE_TYPES, strict=True)).get(stage)
    if not kind:
        return ()
    return kind.reasons.get(reason) or kind.reasons.get(reason.split(":", 1)[0], ())


def governing_doubt(doubt: str) -> tuple[str, ...]:
    """The settings behind a doubt, from whichever stage can raise it."""
    for kind in STAGE_TYPES:
        if doubt in kind.reasons:
            return kind.reasons[doubt]
    return ()
