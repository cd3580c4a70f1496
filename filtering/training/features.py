"""The frozen backbone's features of each labelled crop, computed once.

Only the classification head learns (see README), so the backbone gives every crop the same
feature map in every epoch: computing it once, for the crop as it is and mirrored, turns each
epoch into a pass over a small tensor instead of a pass through the whole network. The crops are
made square as run.py's classifier makes them (`crop_fit.fit_square`) and then prepared exactly
as Ultralytics prepares an image for a classification prediction, so the head learns on what
run.py's classifier sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import ImageOps

from filtering.crop_fit import fit_parts, fit_square
from filtering.training.predict import chunks, open_rgb

BATCH = 32  # crops per backbone pass: enough to amortise it, little memory


def backbone_features(network: Any, paths: Sequence[Path], imgsz: int, fit: str) -> Any:
    """A tensor (crops, views, channels, height, width): each crop's backbone output, made square
    the way `fit` says, as it is (view 0) and mirrored (view 1); for a fit of two ways (`BOTH`)
    the second way's square and its mirror follow (views 2 and 3). `network` is an Ultralytics
    ClassificationModel."""
    import torch
    from ultralytics.data.augment import classify_transforms

    prepare = classify_transforms(imgsz)
    layers = list(network.model)[:-1]  # everything before the Classify head
    network.eval()
    out = []
    with torch.inference_mode():
        for chunk in chunks(paths, BATCH):
            crops = [open_rgb(path) for path in chunk]
            views = []
            for part in fit_parts(fit):
                squares = [fit_square(crop, imgsz, part) for crop in crops]
                views += [*squares, *(ImageOps.mirror(square) for square in squares)]
            x = torch.stack([prepare(view) for view in views]).float()
            for layer in layers:
                x = layer(x)
            # (views, crops, ...) in the order built, then crop by crop
            out.append(x.reshape(-1, len(chunk), *x.shape[1:]).transpose(0, 1))
    return torch.cat(out).clone()
