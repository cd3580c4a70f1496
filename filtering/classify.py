"""Stage 3: is the crop a front view? A YOLO classification model decides, and the answer
routes the crop to clean, questionable or rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PIL import Image, ImageOps

from filtering.classes import (
    CLASSIFIER_CLASSES,
    FRONT,
    FRONT_ANGLED,
    NOT_FRONT,
    NOT_FRONT_FACING_AT,
    OTHER,
)
from filtering.crop_fit import CENTRE, checkpoint_of, fit_of, fit_parts, fit_square, recorded_fit
from filtering.records import CLEAN, QUESTIONABLE, REJECTED
from filtering.settings import FilterSettings
from filtering.square_heads import fit_said, holds_square_heads, square_heads, square_models
from filtering.training.calibration import (
    DEFAULT_FRONT_CONF,
    Stored,
    calibration_path,
    read_stored,
)
from filtering.weights import WeightsError, first_run, load_yolo, use_threads

if TYPE_CHECKING:
    from ultralytics import YOLO
    from ultralytics.engine.results import Results


@dataclass(frozen=True)
class Verdict:
    label: str
    conf: float
    # The probability of `other`, averaged as `conf` is; None from a model that gives no other.
    other: float | None = None


Classify = Callable[[Sequence[Image.Image]], list[Verdict]]

FALLBACK_IMGSZ = 224  # Ultralytics' classification default, for weights that do not say


class Classifier:
    """A YOLO classifier loaded once and asked in batches."""

    def __init__(self, model: YOLO, settings: FilterSettings) -> None:
        self.model = model
        self.settings = settings
        trained_at = model.overrides.get("imgsz") if hasattr(model, "overrides") else None
        self.imgsz = settings.classifier_imgsz or int(trained_at or FALLBACK_IMGSZ)
        # The way it learnt to see a crop (crop_fit.py): its checkpoint says, or for an export
        # the calibration beside it; and the head of each square, where it has one each.
        stored = read_stored(settings.classifier)
        check_calibration(model, stored, settings.classifier)
        self.fit = fit_of(model, stored.crop_fit)
        self.heads = square_heads(model, len(fit_parts(self.fit)), stored.square_heads)
        self.models = square_models(model, self.heads) if self.heads else None

    @classmethod
    def from_weights(cls, settings: FilterSettings) -> Classifier:
        model = load_yolo(settings.classifier, "classify", "classifier")
        classifier = cls(model, settings)
        # First: an export's class names are read from the runtime, which opens only here.
        first_run(
            settings.classifier, "classifier", lambda: classifier([Image.new("RGB", (64, 48))])
        )
        missing = set(CLASSIFIER_CLASSES) - set(model.names.values())
        if missing:
            raise WeightsError(
                f"classifier weights {settings.classifier} lack the classes {sorted(missing)} "
                f"(they have {sorted(model.names.values())})"
            )
        return classifier

    def caution(self) -> str | None:
        """A warning for the run's first lines, or None (`calibration_caution`)."""
        return calibration_caution(self.model, self.settings.classifier)

    def describe(self) -> str:
        """Its input as the run's first lines show it, e.g. `224 px, the whole crop`."""
        return f"{self.imgsz} px, {fit_said(self.fit, self.heads)}"

    def __call__(self, crops: Sequence[Image.Image]) -> list[Verdict]:
        use_threads(self.settings.threads)
        return flip_averaged(
            self.model, crops, self.imgsz, self.settings.device, self.fit, self.models
        )


def calibration_caution(model: Any, weights: Path) -> str | None:
    """A warning for weights alone, without the calibration file training wrote beside them (None:
    nothing to warn of). An export is then asked as Ultralytics asks (its centre square) with the
    default thresholds, which suits a model trained by train.py only by chance; a `.pt` that
    train.py made (its checkpoint records its crop fit) still sees crops as it learnt, but clean
    takes the default threshold instead of the one calibrated for it."""
    name = calibration_path(weights).name
    if calibration_path(weights).exists():
        return None
    if checkpoint_of(model) is None:  # an export
        return (
            f"classifier weights {weights} are an export with no calibration file beside them "
            f"({name}): asked with their centre square and the default thresholds; for a model "
            "trained by filtering/train.py, put its calibration file there under that name"
        )
    if recorded_fit(model) is not None:
        return (
            f"classifier weights {weights} were trained by filtering/train.py, but no calibration "
            f"file is beside them ({name}): clean takes the default threshold, not theirs; put "
            "the calibration file written with them there under that name"
        )
    return None


def check_calibration(model: Any, stored: Stored, weights: Path) -> None:
    """The calibration file beside `weights` is one they can be asked by. An export keeps no
    checkpoint: only that file says how it sees a crop and whether it can be asked at all
    (square_heads.py), so one that cannot be read stops the run rather than have every crop asked
    another way than the model learnt. A checkpoint records its own way, and a calibration file
    that says another belongs to other weights: its thresholds were set on another model."""
    if checkpoint_of(model) is None:
        if stored.unreadable:
            raise WeightsError(
                f"classifier weights {weights} are an export, and {stored.unreadable}: it says "
                "how the model sees a crop; put back the calibration file written with the model"
            )
        return
    recorded, heads = recorded_fit(model), holds_square_heads(model)
    said = stored.crop_fit is not None  # a file written since the fit was recorded
    if said and (stored.crop_fit != (recorded or CENTRE) or stored.square_heads != heads):
        raise WeightsError(
            f"classifier weights {weights}: the calibration file beside them "
            f"({calibration_path(weights).name}) belongs to other weights (it is of a model "
            f"that sees a crop as {stored.crop_fit!r}"
            f"{' with a head for each square' if stored.square_heads else ''}; these see it as "
            f"{recorded or CENTRE!r}{' with a head for each square' if heads else ''}): put back "
            "the calibration file written with these, or train again"
        )


def flip_averaged(
    model: Any,
    images: Sequence[Image.Image],
    imgsz: int,
    device: str,
    fit: str,
    models: Sequence[Any] | None = None,
) -> list[Verdict]:
    """Each image's verdict from the mean of the class probabilities of the image and its mirror
    (for a fit of two ways, `BOTH`: of both its squares and their mirrors, each square asked by
    its own model of `models` where the classifier has a head for each, square_heads.py).

    A mirrored front is a front and a mirrored front three-quarter is one too, so both answers
    are about the same view; averaging them steadies the confident mistakes a single look makes.
    Training's held-back predictions are asked the same way, so the calibrated threshold holds
    for these verdicts.

    Each crop is first made the size the classifier takes, the way `fit` says (crop_fit.py).
    Every conversion Ultralytics makes before its resize (to an array, to BGR and back) then
    works on a quarter of a listing crop's pixels or fewer, and the mirror is made of the small
    picture: the classifier takes about half the time (for `CENTRE`, Ultralytics' own way, with
    the verdicts it gives the whole crops: tests/filter/test_classify.py).
    """
    if not images:
        return []
    parts = fit_parts(fit)
    results = []
    for part, asker in zip(parts, models or [model] * len(parts), strict=True):
        shrunk = [fit_square(image, imgsz, part) for image in images]
        # BOTH: both squares of each crop, each with its mirror
        views = [*shrunk, *(ImageOps.mirror(image) for image in shrunk)]
        results += asker.predict(views, imgsz=imgsz, device=device, batch=len(views), verbose=False)
    n = len(images)
    return [_verdict([cast("Results", r) for r in results[k::n]]) for k in range(n)]


def _verdict(views: Sequence[Results]) -> Verdict:
    """The verdict of the mean class probabilities of one crop's views."""
    assert all(view.probs is not None for view in views)  # a classify model's results
    probs = _mean([view.probs.data for view in views if view.probs is not None])
    names = views[0].names
    top = int(probs.argmax())
    other = [float(probs[k]) for k, name in names.items() if name == OTHER]
    return Verdict(names[top], round(float(probs[top]), 4), round(other[0], 4) if other else None)


def _mean(data: Sequence[Any]) -> Any:
    import torch

    return torch.stack([torch.as_tensor(d, dtype=torch.float32) for d in data]).mean(0)


def clean_threshold(settings: FilterSettings) -> float:
    """The one place where the `front` confidence that makes a crop clean is decided:
    `--front-conf` when given, else the threshold calibrated when the classifier was trained
    (stored next to its weights), else the default."""
    return _clean(settings, read_stored(settings.classifier))


def reject_threshold(settings: FilterSettings) -> float | None:
    """The one place where the `other` probability that rejects a crop that is not a straight
    front is decided: `--other-conf` when given, else the threshold calibrated when the classifier
    was trained, else none (a crop is rejected only at `other` >= 0.5, `not_front_facing`)."""
    return _reject(settings, read_stored(settings.classifier))


def _clean(settings: FilterSettings, stored: Stored) -> float:
    if settings.front_conf is not None:
        return settings.front_conf
    return DEFAULT_FRONT_CONF if stored.front_conf is None else stored.front_conf


def _reject(settings: FilterSettings, stored: Stored) -> float | None:
    return settings.other_conf if settings.other_conf is not None else stored.other_conf


NO_THRESHOLD = "none"  # how `thresholds_in_use` shows an `other` threshold that is not set


def thresholds_in_use(settings: FilterSettings) -> dict[str, str]:
    """`front_conf` and `other_conf` as a run applies them, each with where it comes from."""
    return _in_use(settings, read_stored(settings.classifier))


def _in_use(settings: FilterSettings, stored: Stored) -> dict[str, str]:
    calibrated = f"the calibration of {settings.classifier.name}"
    if settings.front_conf is not None:
        front_from = "given"
    elif stored.unreadable:
        front_from = f"default: {stored.unreadable}"
    elif stored.front_conf is None:
        front_from = "default"
    elif stored.met:
        front_from = calibrated
    else:
        front_from = f"{calibrated}, which did not reach its precision target"
    other = _reject(settings, stored)
    other_from = "given" if settings.other_conf is not None else calibrated
    return {
        "front_conf": f"{_clean(settings, stored):g} ({front_from})",
        "other_conf": NO_THRESHOLD if other is None else f"{other:g} ({other_from})",
    }


def describe_thresholds(settings: FilterSettings) -> str:
    """The routing a run applies, in one line for the console."""
    stored = read_stored(settings.classifier)
    used = _in_use(settings, stored)
    first = f"a crop is rejected at other >= {NOT_FRONT_FACING_AT:g}"
    if used["other_conf"] == NO_THRESHOLD:
        other = f"{first} (no other threshold)"
    elif (_reject(settings, stored) or 0) >= NOT_FRONT_FACING_AT:  # rejected there anyway
        other = f"{first} (the other threshold is off: {used['other_conf']})"
    else:
        other = f"{first}, one that is not a straight front at other >= {used['other_conf']}"
    return f"clean at front >= {used['front_conf']}; {other}"


def route(
    verdict: Verdict, front_conf: float, other_conf: float | None = None
) -> tuple[str, str | None]:
    """The fate of a crop and, when it is not clean, why."""
    if verdict.label == FRONT and verdict.conf >= front_conf:
        return CLEAN, None
    if not_front_facing(verdict):
        return (
            REJECTED,
            f"{NOT_FRONT}:{OTHER if verdict.label in CLASSIFIER_CLASSES else verdict.label}",
        )
    if verdict.label != FRONT and _likely_other(verdict, other_conf):
        # Not a straight front: one that is not clean waits in questionable, since straight
        # fronts are what clean is for and a person may still save it there.
        return REJECTED, LIKELY_OTHER_REASON
    return QUESTIONABLE, QUESTIONABLE_REASONS[verdict.label]


# Why a crop that is not clean waits in questionable, by its likeliest class.
QUESTIONABLE_REASONS = {
    FRONT: "front_low_confidence",
    FRONT_ANGLED: "front_angled",
    # other is its likeliest class, but front and front_angled together are likelier
    OTHER: "front_views_likelier",
}
# The reason of a crop that is not a straight front whose `other` reaches the threshold.
LIKELY_OTHER_REASON = f"{NOT_FRONT}:likely_other"


def not_front_facing(verdict: Verdict) -> bool:
    """Rejected whatever the thresholds: `other` is at least as likely as the two front views
    together (`other` >= `NOT_FRONT_FACING_AT`). A crop whose likeliest class is `other` at 0.45
    is more likely a front view than not, and such a doubt goes to questionable, where a person
    sees it; a model that gives no `other` probability, or a class beyond the three, is taken at
    its label."""
    if verdict.label not in CLASSIFIER_CLASSES:
        return True
    if verdict.other is None:
        return verdict.label == OTHER
    return verdict.other >= NOT_FRONT_FACING_AT


def _likely_other(verdict: Verdict, other_conf: float | None) -> bool:
    return other_conf is not None and verdict.other is not None and verdict.other >= other_conf
