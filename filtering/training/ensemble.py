"""Head-only training: cross-validated heads on cached features, kept together as the model.

The backbone's features are computed once per crop (features.py). `repeats` rounds of k-fold
cross-validation each train one head per fold on the other folds. Every crop's held-back
prediction is the mean, over the rounds, of the heads that did not see it; the kept model is all
the heads merged into one (head.py). So the threshold is calibrated on predictions of the same
kind the kept model makes (an average of heads, flip-averaged as run.py does), not on fold models
while a different model, trained on all crops, is used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from filtering.classes import OTHER
from filtering.crop_fit import record_fit
from filtering.files import write_atomic
from filtering.square_heads import record_square_heads
from filtering.training.console import Progress
from filtering.training.features import backbone_features
from filtering.training.head import fit_square_heads, merge_heads, square_logits
from filtering.training.labelled import Item
from filtering.training.predict import Prediction
from filtering.training.settings import TrainSettings
from filtering.training.split import balanced, k_folds


def train_heads(
    settings: TrainSettings,
    items: Sequence[Item],
    classes: Sequence[str],
    start: Any,
    progress: Progress,
) -> tuple[list[Prediction], dict[str, int]]:
    """Train the heads, put the merged one (the first square's, with a head for each square) into
    `start` and write it to `settings.staged_weights_path`;
    the held-back predictions and the crops per class one head trained on, after balancing."""
    import torch

    network = classifier_of(start.model, len(classes))
    paths = [item.path for item in items]
    features = backbone_features(network, paths, settings.imgsz, settings.crop_fit)
    labels = torch.tensor([classes.index(item.label) for item in items])
    position = {item: k for k, item in enumerate(items)}
    template = network.model[-1]
    heads, summed = [], torch.zeros(len(items), features.shape[1], len(classes))
    counts: Counter[str] = Counter()
    for repeat in range(settings.repeats):
        seed = settings.seed + repeat
        for k, fold in enumerate(k_folds(items, classes, settings.folds, seed), 1):
            name = f"round {repeat + 1}/{settings.repeats}, fold {k}/{settings.folds}"
            train_items = balanced(fold.train, classes, seed) if settings.balance else fold.train
            order = [position[item] for item in train_items]
            epochs, batch = settings.epochs, settings.batch
            fold_heads = fit_square_heads(
                template, features, labels, order, epochs, batch, seed * 100 + k
            )
            progress.epochs_done(name, settings.epochs)
            held = torch.tensor([position[item] for item in fold.val])
            summed[held] += square_logits(fold_heads, features[held])
            heads.append(fold_heads)
            counts = Counter(item.label for item in train_items)
    merged = [merge_heads(square) for square in zip(*heads, strict=True)]
    network.model[-1] = merged[0]  # the model's own head: the first square's
    _save(start.model, network, classes, settings, merged)
    return _predictions(items, classes, summed / settings.repeats), dict(counts)


def classifier_of(model: Any, classes: int) -> Any:
    """The ClassificationModel inside an Ultralytics YOLO, with a head of `classes` outputs and of
    one head's width: a classifier trained here holds its heads merged side by side, and fold
    heads copied from that would merge wider at every training that starts from it, so such a
    start keeps its backbone and its heads begin anew."""
    from ultralytics.nn.modules.head import Classify
    from ultralytics.nn.tasks import ClassificationModel

    network = model.model
    ClassificationModel.reshape_outputs(network, classes)
    head = network.model[-1]
    if merged_head(network):
        fresh = Classify(head.conv.conv.in_channels, classes)
        for name in ("i", "f", "type", "np"):  # where Ultralytics' forward finds the layer
            if hasattr(head, name):
                setattr(fresh, name, getattr(head, name))
        network.model[-1] = fresh
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network


def merged_head(network: Any) -> bool:
    """Whether the head of `network` (an Ultralytics ClassificationModel) is several merged side by
    side (head.py), wider than one Ultralytics `Classify`."""
    from ultralytics.nn.modules.head import Classify

    head = network.model[-1]
    width = Classify(1, 1).conv.conv.out_channels  # Ultralytics' own, 1280
    return isinstance(head, Classify) and head.conv.conv.out_channels != width


def _predictions(items: Sequence[Item], classes: Sequence[str], logits: Any) -> list[Prediction]:
    """Probabilities averaged over the views, as run.py's classifier averages a crop and its
    mirror (and, for a fit of two ways, both squares and their mirrors)."""
    probabilities = logits.softmax(-1).mean(1)
    other = list(classes).index(OTHER) if OTHER in classes else None
    out = []
    for item, probs in zip(items, probabilities, strict=True):
        top = int(probs.argmax())
        p_other = None if other is None else round(float(probs[other]), 4)
        conf = round(float(probs[top]), 4)
        out.append(Prediction(item.path, item.label, classes[top], conf, p_other))
    return out


def _save(
    model: Any,
    network: Any,
    classes: Sequence[str],
    settings: TrainSettings,
    heads: Sequence[Any],
) -> None:
    """An Ultralytics checkpoint that `YOLO(path)` loads as a classifier at `settings.imgsz`;
    `heads` holds each square's merged head, the first the network's own, the others kept beside
    it."""
    import copy

    import torch
    import ultralytics

    network.names = dict(enumerate(classes))
    network.args = {"task": "classify", "imgsz": settings.imgsz}
    checkpoint = {
        "model": copy.deepcopy(network).half(),
        "train_args": {"task": "classify", "imgsz": settings.imgsz, "epochs": settings.epochs},
        "date": datetime.now().astimezone().isoformat(),
        "version": ultralytics.__version__,
    }
    # run.py then asks the model as its heads learnt
    checkpoint = record_square_heads(record_fit(checkpoint, settings.crop_fit), heads)
    write_atomic(settings.staged_weights_path, lambda partial: torch.save(checkpoint, partial))
    model.model, model.ckpt = network, checkpoint  # the model in memory is the one written
