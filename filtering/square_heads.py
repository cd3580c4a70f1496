"""A classification head for each square of a crop, kept in the classifier's one checkpoint.

With both squares (`crop_fit.BOTH`) a crop is asked twice, resized and on grey. One head asked
both learns two kinds of picture with the same few weights; a head of its own for each square
measured better on the real photos (README, "A head for each square"). The checkpoint stays an
ordinary Ultralytics classifier: its own head is the first square's, so `YOLO(path)` alone asks
that square as it learnt, and the heads of the other squares are stored beside Ultralytics' own
keys (`HEADS_KEY`), each an Ultralytics `Classify` as the model's own head is. This module is
their one writer and reader, and the one place that puts a head in front of the backbone.

An export (ONNX and the like) keeps only the model's own head, so an export of such a model
cannot be asked as it learnt; its calibration file says so (`square_heads`) and run.py stops.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from filtering.crop_fit import FIT_SAID, checkpoint_of
from filtering.weights import WeightsError

HEADS_KEY = "scars_square_heads"  # in the checkpoint dictionary: the heads after the first


def record_square_heads(checkpoint: dict[str, Any], heads: Sequence[Any]) -> dict[str, Any]:
    """`checkpoint`, whose model holds the first square's head, with the heads of the others
    (none: a head shared by every square, nothing recorded)."""
    if len(heads) < 2:
        return checkpoint
    return {**checkpoint, HEADS_KEY: [copy.deepcopy(head).half() for head in heads[1:]]}


def square_heads(model: Any, squares: int, calibrated_with: bool = False) -> list[Any] | None:
    """The head of each of the `squares` squares of `model` (an Ultralytics YOLO, or a small
    stand-in), the model's own first; None where its checkpoint stores none (one head for all,
    as every classifier before had). `calibrated_with`: the calibration file beside the weights
    says the model has a head for each square, so weights that hold none are an export of it."""
    checkpoint = checkpoint_of(model)
    stored = None if checkpoint is None else checkpoint.get(HEADS_KEY)
    name = getattr(model, "ckpt_path", "") or getattr(model, "model_name", "") or "(in memory)"
    if stored is None:
        if calibrated_with and not checkpoint:  # a .pt is checked against its calibration file
            raise WeightsError(_exported_alone(str(name)))  # by classify.check_calibration
        return None
    if len(stored) + 1 != squares:  # written by another version: asking would mix the heads
        raise WeightsError(
            f"classifier weights {name} hold heads for {len(stored) + 1} squares of a crop, but "
            f"say they were trained on {squares}: train the classifier again"
        )
    own = model.model.model[-1]
    return [own, *(head.float().eval() for head in stored)]


def holds_square_heads(model: Any) -> bool:
    """Whether the checkpoint of `model` keeps a head for each square."""
    checkpoint = checkpoint_of(model)
    return checkpoint is not None and checkpoint.get(HEADS_KEY) is not None


def _exported_alone(name: str) -> str:
    """Why an export of a model with a head for each square cannot be asked, and what to do."""
    original = Path(name).with_suffix(".pt")
    give = f"give {original}" if original.is_file() else "give the .pt file"
    return (
        f"classifier weights {name} are an export of a model with a head for each square of a "
        f"crop (its calibration file says so), and an export keeps only the first one: {give} "
        "they were exported from"
    )


def fit_said(fit: str, heads: Sequence[Any] | None) -> str:
    """How a classifier sees a crop, in words: `the whole crop, resized and on grey, a head for
    each`."""
    return FIT_SAID[fit] + (", a head for each" if heads else "")


def square_models(model: Any, heads: Sequence[Any]) -> list[Any]:
    """For each square the model that asks it: `model` itself for the first, and for each other a
    copy of it with that square's head. A copy, since Ultralytics' predictor works on a copy of
    the network that it makes when first asked: a head swapped in later would not be seen."""
    models = [model]
    for head in heads[1:]:
        # Without the predictor, which holds locks that cannot be copied: the copy makes its own,
        # of its own network, when first asked.
        predictor = getattr(model, "predictor", None)
        twin = copy.deepcopy(model, {id(predictor): None} if predictor is not None else None)
        twin.model.model[-1] = head
        models.append(twin)
    return models
