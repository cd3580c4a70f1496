"""Stage 3: a real classifier trained in the test routes crops to clean, questionable, rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.classify import Classifier, Verdict, route
from filtering.records import CLEAN, QUESTIONABLE, REJECTED
from filtering.settings import FilterSettings
from filtering.weights import WeightsError
from tests.filter.scenes import bus_scene, empty_scene, gray


@pytest.mark.parametrize(
    ("verdict", "fate", "reason"),
    [
        (Verdict("front", 0.95), CLEAN, None),
        (Verdict("front", 0.80), CLEAN, None),
        (Verdict("front", 0.79), QUESTIONABLE, "front_low_confidence"),
        (Verdict("front_angled", 0.99), QUESTIONABLE, "front_angled"),
        (Verdict("front_angled", 0.40), QUESTIONABLE, "front_angled"),
        (Verdict("other", 0.99), REJECTED, "not_front:other"),
    ],
)
def test_routing(verdict: Verdict, fate: str, reason: str | None) -> None:
    assert route(verdict, front_conf=0.80) == (fate, reason)


def test_the_trained_classifier_tells_the_views_apart(
    tiny_classifier: Path, bus_photo: Path
) -> None:
    classify = Classifier.from_weights(FilterSettings(classifier=tiny_classifier))
    assert classify.imgsz == 64  # the size it was trained at, read from the weights
    bus = bus_scene(bus_photo).crop((250, 220, 1060, 780))
    verdicts = classify([bus, gray(bus), empty_scene(7)])
    assert [v.label for v in verdicts] == ["front", "front_angled", "other"]
    assert all(0.0 <= v.conf <= 1.0 for v in verdicts)


def test_a_detector_is_not_a_classifier(detector_weights: Path) -> None:
    with pytest.raises(WeightsError, match="are a detect model, not a classify model"):
        Classifier.from_weights(FilterSettings(classifier=detector_weights))


def test_a_classifier_without_the_classes_is_refused(tmp_path: Path, tiny_classifier: Path) -> None:
    from ultralytics import YOLO

    model = YOLO(str(tiny_classifier))
    model.model.names = {0: "cat", 1: "dog", 2: "front"}
    renamed = tmp_path / "pets.pt"
    model.save(str(renamed))
    with pytest.raises(WeightsError, match=r"lack the classes \['front_angled', 'other'\]"):
        Classifier.from_weights(FilterSettings(classifier=renamed))


def test_a_missing_classifier_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="classifier weights not found"):
        Classifier.from_weights(FilterSettings(classifier=tmp_path / "models" / "none.pt"))


def test_an_empty_batch_asks_nothing(tiny_classifier: Path) -> None:
    classify = Classifier.from_weights(FilterSettings(classifier=tiny_classifier))
    assert classify([]) == []
