"""The classification head on cached features: trained heads merge into one exact ensemble."""

from __future__ import annotations

import torch
from ultralytics.nn.modules.head import Classify

from filtering.training.head import (
    fit_head,
    fit_square_heads,
    head_logits,
    merge_heads,
    square_logits,
)


def _heads(count: int, channels: int = 8) -> list[Classify]:
    torch.manual_seed(1)
    heads = [Classify(channels, 3) for _ in range(count)]
    for head in heads:  # batch norm with statistics of its own, as a trained head has
        head.conv.bn.running_mean.uniform_(-1, 1)
        head.conv.bn.running_var.uniform_(0.5, 2)
        head.eval()
    return heads


def test_merged_heads_give_the_mean_of_their_logits() -> None:
    heads = _heads(3)
    x = torch.randn(5, 2, 8, 4, 4)
    each = torch.stack([head_logits(head, x) for head in heads])
    merged = merge_heads(heads)
    assert merged.conv.conv.out_channels == 3 * 1280 and merged.linear.in_features == 3 * 1280
    assert torch.allclose(head_logits(merged, x), each.mean(0), atol=1e-5)
    assert not torch.allclose(each[0], each[1], atol=1e-3)  # the heads differ: a real mean


def test_a_head_learns_separable_features_and_leaves_its_template_alone() -> None:
    torch.manual_seed(0)
    labels = torch.arange(30) % 3
    features = torch.randn(30, 2, 8, 2, 2) * 0.1
    features[torch.arange(30), :, labels] += 2.0  # class k lights channel k, in both views
    template = _heads(1)[0]
    before = {k: v.clone() for k, v in template.state_dict().items()}
    head = fit_head(template, features, labels, list(range(30)), epochs=20, batch=8, seed=0)
    predicted = head_logits(head, features).mean(1).argmax(1)
    assert torch.equal(predicted, labels)
    assert all(torch.equal(before[k], v) for k, v in template.state_dict().items())


def test_the_same_seed_trains_the_same_head() -> None:
    labels = torch.arange(12) % 3
    features = torch.randn(12, 2, 8, 2, 2)
    template = _heads(1)[0]
    first, second = (
        fit_head(template, features, labels, list(range(12)), 3, 4, seed=5) for _ in range(2)
    )
    assert all(
        torch.equal(a, b)
        for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True)
    )


def test_each_square_has_a_head_that_learns_from_its_own_views_only() -> None:
    """Views 0-1 are the first square (as it is, mirrored), 2-3 the second. Here the first square
    shows the class in channel k and the second in channel k + 3: each head learns its own
    square's code, and asked the other square's views it cannot tell the classes apart."""
    torch.manual_seed(0)
    labels = torch.arange(30) % 3
    features = torch.randn(30, 4, 8, 2, 2) * 0.1
    every = torch.arange(30)
    features[every, :2, labels] += 2.0
    features[every, 2:, labels + 3] += 2.0
    template = _heads(1)[0]
    heads = fit_square_heads(template, features, labels, list(range(30)), 20, 8, seed=0)
    assert len(heads) == 2
    own = square_logits(heads, features)
    assert own.shape == (30, 4, 3)
    assert torch.equal(own.mean(1).argmax(1), labels)
    swapped = square_logits(heads[::-1], features)  # each square asked by the other's head
    assert not torch.equal(swapped.mean(1).argmax(1), labels)


def test_a_single_square_gets_exactly_the_head_fit_head_trains() -> None:
    labels = torch.arange(12) % 3
    features = torch.randn(12, 2, 8, 2, 2)
    template = _heads(1)[0]
    (square,) = fit_square_heads(template, features, labels, list(range(12)), 3, 4, seed=5)
    alone = fit_head(template, features, labels, list(range(12)), 3, 4, seed=5)
    assert torch.equal(square_logits([square], features), head_logits(alone, features))
