"""The classification head trained on cached backbone features, and heads merged into one.

A head is Ultralytics' `Classify` (a 1x1 convolution with batch norm and SiLU, average pooling,
a linear layer). Several heads over the same features merge exactly into one wider `Classify`:
their convolutions side by side, their linear layers side by side and divided by their number,
so the merged head's logits are the mean of theirs. The ensemble is then one ordinary
Ultralytics classifier that run.py loads like any other.

With both squares of a crop (crop_fit.BOTH) each square has heads of its own, trained on its
views only and merged apart (square_heads.py keeps them in the one checkpoint).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from typing import Any

# Ultralytics' own choice for a short classification training of 3 classes (AdamW, its "auto"
# learning rate 0.002 * 5 / (4 + classes), weight decay 5e-4, decaying to 1 % by the end).
LEARNING_RATE = 0.002 * 5 / 7
WEIGHT_DECAY = 5e-4
FINAL_LR_SHARE = 0.01


def fit_head(
    template: Any,
    features: Any,
    labels: Any,
    order: Sequence[int],
    epochs: int,
    batch: int,
    seed: int,
) -> Any:
    """A copy of `template` trained on `features[i]`, `labels[i]` for i in `order` (crops repeated
    in `order` count more: the balancing). Each epoch sees every entry of `order` once, in one of
    its views at random: as it is or mirrored (the horizontal flip augmentation)."""
    import torch

    torch.manual_seed(seed)
    head = copy.deepcopy(template).float().train()
    for parameter in head.parameters():
        parameter.requires_grad_(True)
    optimiser = torch.optim.AdamW(head.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps = epochs * -(-len(order) // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 1 - (1 - FINAL_LR_SHARE) * step / max(1, steps)
    )
    rng = random.Random(seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    count = features.shape[1]
    for _ in range(epochs):
        shuffled = rng.sample(list(order), len(order))
        for first in range(0, len(shuffled), batch):
            chosen = torch.tensor(shuffled[first : first + batch])
            # Counted down, so that with two views the draws are those of a coin: the mirror
            # below 0.5, the seeds of earlier trainings giving the same heads.
            views = torch.tensor([count - 1 - int(rng.random() * count) for _ in chosen])
            loss = loss_fn(head(features[chosen, views]), labels[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    return head.eval()


VIEWS_PER_SQUARE = 2  # a square as it is and mirrored (features.py)


def fit_square_heads(
    template: Any,
    features: Any,
    labels: Any,
    order: Sequence[int],
    epochs: int,
    batch: int,
    seed: int,
) -> list[Any]:
    """One head per square of `features` (crops, views, ...), each trained by `fit_head` on its
    own square's views, as it is and mirrored; a single square gives exactly `fit_head`'s head."""
    return [
        fit_head(template, views, labels, order, epochs, batch, seed)
        for views in _by_square(features)
    ]


def square_logits(heads: Sequence[Any], features: Any) -> Any:
    """Logits (crops, views, classes) of `features`, each square's views by its own head."""
    import torch

    squares = _by_square(features)
    assert len(squares) == len(heads), f"{len(heads)} heads for {len(squares)} squares"
    return torch.cat([head_logits(h, views) for h, views in zip(heads, squares, strict=True)], 1)


def _by_square(features: Any) -> list[Any]:
    views = features.shape[1]
    return [features[:, k : k + VIEWS_PER_SQUARE] for k in range(0, views, VIEWS_PER_SQUARE)]


def head_logits(head: Any, features: Any) -> Any:
    """Logits (crops, views, classes) of `features` (crops, views, channels, h, w)."""
    import torch

    with torch.inference_mode():
        n, views = features.shape[:2]
        _, logits = head(features.flatten(0, 1))  # Classify gives (probabilities, logits) in eval
        return logits.reshape(n, views, -1)


def merge_heads(heads: Sequence[Any]) -> Any:
    """One `Classify` whose logits are the mean of the logits of `heads` (same input channels)."""
    import torch

    merged = copy.deepcopy(heads[0])
    conv, bn, linear = merged.conv.conv, merged.conv.bn, merged.linear
    with torch.no_grad():
        conv.weight = torch.nn.Parameter(torch.cat([h.conv.conv.weight for h in heads]))
        conv.out_channels = conv.weight.shape[0]
        for name in ("weight", "bias"):
            setattr(
                bn, name, torch.nn.Parameter(torch.cat([getattr(h.conv.bn, name) for h in heads]))
            )
        for name in ("running_mean", "running_var"):
            setattr(bn, name, torch.cat([getattr(h.conv.bn, name) for h in heads]))
        bn.num_features = conv.out_channels
        linear.weight = torch.nn.Parameter(
            torch.cat([h.linear.weight for h in heads], 1) / len(heads)
        )
        linear.bias = torch.nn.Parameter(torch.stack([h.linear.bias for h in heads]).mean(0))
        linear.in_features = linear.weight.shape[1]
    return merged.eval()
