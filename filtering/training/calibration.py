"""The front threshold chosen for clean's precision, and its file next to the weights.

Training predicts every labelled crop with a model that did not see it (cross-validation) and
picks the lowest `front` confidence at which the crops that would go to clean are front views at
least `target` of the time: the most fronts in clean at the precision asked for. "At least" is
judged by the lower bound of the precision (Wilson's score interval, one-sided 95 %), not by the
observed share: 4 fronts of 4 crops is also what a set of 60 % fronts often shows, and only some
150 fronts without a mistake prove 0.98. When no threshold reaches the target, the one of the
highest observed precision is taken (among equals the lowest, for the most fronts), but never
below `DEFAULT_FRONT_CONF`: a handful of held-back fronts can make 0.47 look the most precise
(2 fronts of 5), and a threshold nothing proves must not let more into clean than the default
does. The calibration then says the target was not reached and what precision is sure. `run.py`
reads the threshold from `<weights stem>_calibration.json` when `--front-conf` is not given.

The same predictions set the `other` threshold. Without it a crop is rejected only when `other`
is at least as likely as the two front views together (`NOT_FRONT_FACING_AT`, 0.5); with
it, a crop that is not a straight front is rejected from that probability of `other` on, which
keeps rears and sides that look half like an angled front out of questionable (a straight front
not clean stays questionable). It is put just above the highest `other` of any held-back front
view that the classifier does not already reject: of n held-back front views, a new one lies
above all of them 1 time in n + 1, so with at least `MIN_FRONT_VIEWS` of them it costs at most
some 1 % of the front views (an upper bound: most front views are far below), and none of those
labelled. With fewer, or when the threshold would be 0.5 or more (where a crop is rejected
anyway), there is none. From 20 front views (5 %), in the loop on the real photos (some 25 per
half), it rejected 11 front views for 3 that are not (README).

This module is the one reader and writer of that file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from filtering.classes import FRONT, FRONT_ANGLED, NOT_FRONT_FACING_AT
from filtering.files import write_text_atomic
from filtering.training.predict import Prediction

SUFFIX = "_calibration.json"
FRONT_VIEWS = (FRONT, FRONT_ANGLED)
Z_ONE_SIDED_95 = 1.6449  # the normal quantile of a one-sided 95 % bound
MIN_FRONT_VIEWS = 100  # held-back front views to set the `other` threshold: 1 new one in 101 above
STEP = 0.0001  # the `other` threshold lies this far above the highest front view's (4 decimals)
# The clean threshold when nothing decides it, and the lowest one taken without proof of the target.
DEFAULT_FRONT_CONF = 0.80


@dataclass(frozen=True)
class Calibration:
    front_conf: float  # a crop predicted `front` at least this confident goes to clean
    target: float  # the precision asked for
    precision: float | None  # observed in clean at that threshold (None: nothing would be clean)
    recall: float | None  # share of the fronts expected in clean (None: no fronts)
    clean: int  # held-back crops that would go to clean
    clean_fronts: int  # of them, true fronts
    fronts: int  # true fronts among the held-back crops
    met: bool  # whether the target was reached by the lower bound
    # Clean's precision is at least this at 95 % confidence, from these counts (Wilson).
    precision_bound: float | None = None
    # A crop not clean whose `other` is at least this is rejected (None: `other` first only).
    other_conf: float | None = None
    other_rejected: int = 0  # held-back crops not front-facing that it rejects besides
    front_views: int = 0  # held-back front views (front, front_angled) it was set above
    front_views_lost: int = 0  # held-back front views at other >= 0.5 (lost whatever it is)
    highest_front_other: float | None = None  # the highest other of the `front_views`
    # How the model makes a crop square (crop_fit.py), for an export of it, which has no
    # checkpoint of its own to say so: the export finds this file by its name.
    crop_fit: str | None = None
    # Whether each square has a head of its own (square_heads.py), which an export does not keep.
    square_heads: bool = False

    def describe(self) -> str:
        precision = "n/a" if self.precision is None else f"{self.precision:.3f}"
        recall = "n/a" if self.recall is None else f"{self.recall:.3f}"
        bound = "" if self.precision_bound is None else f", at least {self.precision_bound:.3f}"
        if not self.clean:
            line = (
                f"front threshold {self.front_conf:.4f}: no held-back crop would be clean, "
                f"recall {recall} (0 of {self.fronts} fronts)"
            )
            return line + f"; the target {self.target} was not reached: label more fronts"
        line = (
            f"front threshold {self.front_conf:.4f}: expected clean precision {precision} "
            f"({self.clean_fronts} of {self.clean}{bound} at 95 % confidence), recall {recall} "
            f"({self.clean_fronts} of {self.fronts} fronts)"
        )
        if not self.met:
            line += f"; the target {self.target} was not reached on these crops: label more fronts"
        return line

    def describe_other(self) -> str:
        lost = self.front_views_lost
        counted = f"{self.front_views} held-back front views the classifier does not reject" + (
            f" ({lost} more it rejects at other >= {NOT_FRONT_FACING_AT:g})" if lost else ""
        )
        if self.other_conf is not None:
            return (
                f"other threshold {self.other_conf:.4f}, just above all {counted}: it also rejects "
                f"{self.other_rejected} held-back crop(s) that are not front views, which would "
                "otherwise be questionable"
            )
        if self.front_views < MIN_FRONT_VIEWS:
            why = f"{counted}, {MIN_FRONT_VIEWS} needed to set it"
        elif self.highest_front_other is None:
            why = "the predictions give no probability of other"
        else:
            why = (
                f"one of the {counted} has other at {self.highest_front_other:.4f}, so it would "
                f"be {NOT_FRONT_FACING_AT:g} or more, where a crop is rejected anyway"
            )
        rule = f"a crop is rejected only at other >= {NOT_FRONT_FACING_AT:g}"
        return f"other threshold: none ({why}): {rule}"


def calibrate(predictions: Sequence[Prediction], target: float) -> Calibration:
    """The lowest threshold whose clean set meets `target` by its lower bound; if none does, the
    most precise one at `DEFAULT_FRONT_CONF` or above.

    Clean at threshold t is every crop predicted `front` with confidence >= t, as run.py routes.
    Only the predicted confidences are candidates: between two of them nothing changes.
    """
    fronts = sum(p.label == FRONT for p in predictions)
    candidates = sorted({p.conf for p in predictions if p.predicted == FRONT})
    options = [_at(predictions, t, target, fronts) for t in candidates]
    met = [c for c in options if c.met]
    if met:
        return met[0]  # the lowest threshold: the most fronts at the precision asked for
    unproven = [c for c in options if c.front_conf >= DEFAULT_FRONT_CONF]
    if unproven:  # the most precise; among equals the lowest threshold (most fronts)
        return max(unproven, key=lambda c: (c.precision or 0.0, -c.front_conf))
    if options:  # every front predicted below the default: clean as the default would have it
        return _at(predictions, DEFAULT_FRONT_CONF, target, fronts)
    return Calibration(1.0, target, None, 0.0 if fronts else None, 0, 0, fronts, False)


def with_other_threshold(
    calibration: Calibration, predictions: Sequence[Prediction]
) -> Calibration:
    """`calibration` with the `other` threshold these held-back predictions set (module doc)."""
    views = [p for p in predictions if p.label in FRONT_VIEWS]
    facing = [p for p in views if not _rejected_anyway(p)]
    lost = len(views) - len(facing)
    others = [p.other for p in facing]
    known = [o for o in others if o is not None]
    highest = max(known) if known and len(known) == len(others) else None
    counts = replace(
        calibration,
        other_conf=None,
        other_rejected=0,
        front_views=len(facing),
        front_views_lost=lost,
        highest_front_other=highest,
    )
    if highest is None or len(facing) < MIN_FRONT_VIEWS or highest + STEP >= NOT_FRONT_FACING_AT:
        return counts
    threshold = round(highest + STEP, 4)
    rejected = [p for p in predictions if _rejected_by_other(p, threshold, calibration.front_conf)]
    return replace(counts, other_conf=threshold, other_rejected=len(rejected))


def _rejected_anyway(p: Prediction) -> bool:
    """Rejected by the classifier whatever the thresholds, as run.py routes the crop."""
    from filtering.classify import Verdict, not_front_facing

    return not_front_facing(Verdict(p.predicted, p.conf, p.other))


def _rejected_by_other(p: Prediction, threshold: float, front_conf: float) -> bool:
    """Rejected by the `other` threshold, as run.py routes the crop."""
    # Imported here: classify reads this module's file, this module asks classify's routing.
    from filtering.classify import LIKELY_OTHER_REASON, Verdict, route

    _, reason = route(Verdict(p.predicted, p.conf, p.other), front_conf, threshold)
    return reason == LIKELY_OTHER_REASON


def _at(
    predictions: Sequence[Prediction], threshold: float, target: float, fronts: int
) -> Calibration:
    clean = [p for p in predictions if p.predicted == FRONT and p.conf >= threshold]
    right = sum(p.label == FRONT for p in clean)
    precision = round(right / len(clean), 4) if clean else None
    recall = round(right / fronts, 4) if fronts else None
    bound = round(wilson_lower(right, len(clean)), 4) if clean else None
    met = bound is not None and bound >= target
    return Calibration(threshold, target, precision, recall, len(clean), right, fronts, met, bound)


def wilson_lower(successes: int, trials: int, z: float = Z_ONE_SIDED_95) -> float:
    """The lower end of Wilson's score interval for a share of `successes` in `trials` > 0."""
    share = successes / trials
    centre = share + z * z / (2 * trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / (1 + z * z / trials)


def calibration_path(weights: Path) -> Path:
    return weights.with_name(weights.stem + SUFFIX)


def write_calibration(weights: Path, calibration: Calibration) -> Path:
    path = calibration_path(weights)
    write_text_atomic(path, calibration_text(calibration))
    return path


def calibration_text(calibration: Calibration) -> str:
    """The content of the calibration file (training writes it first under a name of its own)."""
    return json.dumps(asdict(calibration), indent=1) + "\n"


@dataclass(frozen=True)
class Stored:
    """What filtering takes from a calibration file: its thresholds, whether clean's
    precision target was met (None thresholds: none usable in the file), the crop fit and whether
    each square has a head of its own."""

    front_conf: float | None = None
    other_conf: float | None = None
    met: bool = False
    crop_fit: str | None = None
    square_heads: bool = False
    # Why a calibration file that is there could not be read (None: read, or there is none).
    unreadable: str | None = None


def read_stored(weights: Path) -> Stored:
    """The calibration of these weights, read once; an absent file is none, and a broken one
    none that says why."""
    path = calibration_path(weights)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Stored()
    except (OSError, ValueError) as exc:
        return Stored(unreadable=f"its calibration file {path} cannot be read ({exc})")
    if not isinstance(data, dict):
        return Stored(unreadable=f"its calibration file {path} holds no calibration")
    front, other = _threshold(data.get("front_conf")), _threshold(data.get("other_conf"))
    fit = data.get("crop_fit")
    fit = fit if isinstance(fit, str) else None
    return Stored(front, other, data.get("met") is True, fit, data.get("square_heads") is True)


def _threshold(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0.0 <= value <= 1.0 else None
