"""How a crop becomes the classifier's square input, and which way each classifier was trained.

A crop is a whole car, most often wider than tall: 1.0 to 2.8 times for the real front and
front three-quarter views, up to 3.9 for sides. Ultralytics' own classification input keeps the
centre square of it, so a front three-quarter loses both ends, its lamps and its tail, which are
what tells it from a rear three-quarter. The classifiers training makes here learn from the whole
crop resized to a square (`STRETCH`); on the real photos that raised the questionable set's
share of front views and the accuracy (README, "The classifier sees the whole crop").

The way is recorded in the checkpoint training writes (`FIT_KEY`), so the weights carry it
wherever they are copied, and in the calibration file beside them, which an export of the
weights (ONNX and the like, which keep no checkpoint) finds by its name. A classifier with
neither (one trained by Ultralytics, with --train-backbone, or by an earlier version) is asked
as Ultralytics asks it (`CENTRE`). This module is the one reader and writer of the checkpoint's
key.
"""

from __future__ import annotations

from typing import Any, cast

from PIL import Image, ImageOps

from filtering.weights import WeightsError

STRETCH = "stretch"  # the whole crop, resized to imgsz x imgsz
PAD = "pad"  # the whole crop on a grey square, its shape kept, resized to imgsz x imgsz
CENTRE = "centre"  # the shorter side resized to imgsz, then the centre square (Ultralytics)
# Both of the whole-crop squares: the head learns from each and is asked both, their answers
# averaged. The two see a crop differently (stretched, or small on grey) and err differently.
BOTH = f"{STRETCH}+{PAD}"
FITS = (STRETCH, PAD, CENTRE, BOTH)
GREY = (114, 114, 114)  # Ultralytics' letterbox grey
FIT_SAID = {
    STRETCH: "the whole crop",
    PAD: "the whole crop on grey",
    CENTRE: "its centre square",
    BOTH: "the whole crop, resized and on grey",
}
FIT_KEY = "scars_crop_fit"  # in the checkpoint dictionary, beside Ultralytics' own keys


def fit_parts(fit: str) -> tuple[str, ...]:
    """The single ways of a fit: `BOTH` is two squares of each crop, any other one."""
    if fit not in FITS:
        raise ValueError(f"unknown crop fit {fit!r} (known: {', '.join(FITS)})")
    return tuple(fit.split("+"))


def fit_square(image: Image.Image, imgsz: int, fit: str) -> Image.Image:
    """`image` as the classifier's `imgsz` square is made of it. For `CENTRE` this is the first
    step of Ultralytics' transforms, exactly (its centre crop then takes the square); for
    `STRETCH` and `PAD` the square itself, which Ultralytics' transforms then leave as it is.
    Training's features and run.py both make the square first and mirror it after, so the two
    see the same pixels whether or not a mirror would commute with the fit."""
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as transforms

    if fit == PAD:  # resized first, then padded: the grey bands cost nothing at full size
        return ImageOps.pad(image, (imgsz, imgsz), Image.Resampling.BILINEAR, GREY)
    if fit not in (STRETCH, CENTRE):
        parts = fit_parts(fit)  # an unknown fit is named there
        raise ValueError(f"{fit!r} makes {len(parts)} squares of a crop: one fit at a time")
    size = imgsz if fit == CENTRE else [imgsz, imgsz]
    return cast("Image.Image", transforms.resize(image, size, InterpolationMode.BILINEAR))


def checkpoint_of(model: Any) -> dict[str, Any] | None:
    """The checkpoint `model` (an Ultralytics YOLO, or a small stand-in) was loaded from; None for
    an export (ONNX and the like), which keeps none."""
    checkpoint = getattr(model, "ckpt", None)
    return checkpoint if isinstance(checkpoint, dict) and checkpoint else None


def recorded_fit(model: Any) -> str | None:
    """The way the checkpoint of `model` records (None: an export, or a checkpoint of a classifier
    trained elsewhere, by Ultralytics or with --train-backbone)."""
    checkpoint = checkpoint_of(model)
    return None if checkpoint is None else checkpoint.get(FIT_KEY)


def fit_of(model: Any, stored: str | None = None) -> str:
    """The way `model` (an Ultralytics YOLO, or a small stand-in) was trained to see crops: its
    checkpoint's record, else `stored` (the calibration file's, for an export), else `CENTRE`."""
    recorded = recorded_fit(model)
    fit = recorded or stored or CENTRE
    if fit not in FITS:  # written by a later version: guessing would sort every crop wrongly
        where = "its checkpoint" if recorded else "the calibration file beside it"
        raise WeightsError(
            f"classifier weights {getattr(model, 'ckpt_path', '') or '(in memory)'}: {where} "
            f"says they were trained on crops made square as {fit!r}, which this version does "
            f"not know (it knows {', '.join(FITS)}): update scars, or train the classifier again"
        )
    return str(fit)


def record_fit(checkpoint: dict[str, Any], fit: str) -> dict[str, Any]:
    """`checkpoint` with the way its classifier sees crops."""
    return {**checkpoint, FIT_KEY: fit}
