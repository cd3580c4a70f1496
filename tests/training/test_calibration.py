"""The front threshold chosen for clean's precision, against a recount from the predictions."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.classify import DEFAULT_FRONT_CONF, clean_threshold
from filtering.settings import FilterSettings
from filtering.training.calibration import (
    Calibration,
    calibrate,
    calibration_path,
    read_front_conf,
    write_calibration,
)
from filtering.training.predict import Prediction

# (true class, predicted class, confidence), made up: the fronts are confident, a rear is
# taken for a confident front at 0.91, an angled front at 0.72.
TABLE = [
    ("front", "front", 0.99),
    ("front", "front", 0.97),
    ("other", "front", 0.91),
    ("front", "front", 0.90),
    ("front", "front", 0.85),
    ("front_angled", "front", 0.72),
    ("front", "front", 0.60),
    ("front", "front_angled", 0.80),  # a front the model called angled: never in clean
    ("other", "other", 0.95),
    ("front_angled", "front_angled", 0.70),
]


def predictions(rows: list[tuple[str, str, float]]) -> list[Prediction]:
    return [Prediction(Path(f"{k}.jpg"), t, p, c) for k, (t, p, c) in enumerate(rows)]


def recount(rows: list[tuple[str, str, float]], threshold: float) -> tuple[int, int]:
    """(crops clean at the threshold, true fronts among them), as run.py would route them."""
    clean = [t for t, p, c in rows if p == "front" and c >= threshold]
    return len(clean), clean.count("front")


@pytest.mark.parametrize(
    ("target", "threshold", "clean", "fronts_in_clean"),
    [
        (0.98, 0.97, 2, 2),  # only above the confident rear is clean all fronts
        (0.75, 0.85, 5, 4),  # 4 of 5: the rear is let in, the angled front not
        (0.70, 0.60, 7, 5),  # 5 of 7 at the lowest front: the most fronts at that precision
        (0.60, 0.60, 7, 5),
    ],
)
def test_the_lowest_threshold_that_meets_the_target(
    target: float, threshold: float, clean: int, fronts_in_clean: int
) -> None:
    chosen = calibrate(predictions(TABLE), target)
    assert chosen.front_conf == threshold
    assert recount(TABLE, threshold) == (clean, fronts_in_clean)
    assert (chosen.clean, chosen.clean_fronts, chosen.fronts) == (clean, fronts_in_clean, 6)
    assert chosen.precision == round(fronts_in_clean / clean, 4)
    assert chosen.recall == round(fronts_in_clean / 6, 4)
    assert chosen.met
    # Every lower candidate threshold misses the target, by the recount.
    for _, predicted, conf in TABLE:
        if predicted == "front" and conf < threshold:
            n, right = recount(TABLE, conf)
            assert right / n < target


def test_a_target_no_threshold_meets_takes_the_most_precise() -> None:
    rows = [("other", "front", 0.99), ("front", "front", 0.95), ("other", "front", 0.90)]
    chosen = calibrate(predictions(rows), 0.98)
    assert (chosen.front_conf, chosen.clean, chosen.clean_fronts) == (0.95, 2, 1)
    assert chosen.precision == 0.5 and not chosen.met
    assert "was not reached" in chosen.describe()


def test_nothing_predicted_front_keeps_clean_empty() -> None:
    chosen = calibrate(predictions([("front", "other", 0.9), ("other", "other", 0.8)]), 0.98)
    assert (chosen.front_conf, chosen.clean, chosen.precision, chosen.recall) == (1.0, 0, None, 0)


def test_the_file_next_to_the_weights_round_trips(tmp_path: Path) -> None:
    weights = tmp_path / "front_classifier.pt"
    assert read_front_conf(weights) is None  # no calibration yet
    chosen = calibrate(predictions(TABLE), 0.98)
    path = write_calibration(weights, chosen)
    assert path == tmp_path / "front_classifier_calibration.json" == calibration_path(weights)
    assert read_front_conf(weights) == 0.97
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing half-written left


@pytest.mark.parametrize("text", ["", "{", '{"front_conf": "high"}', '{"front_conf": 7}', "[]"])
def test_a_broken_file_is_no_calibration(tmp_path: Path, text: str) -> None:
    weights = tmp_path / "front_classifier.pt"
    calibration_path(weights).write_text(text)
    assert read_front_conf(weights) is None


def test_describe_names_threshold_precision_and_recall() -> None:
    line = Calibration(0.97, 0.98, 1.0, 0.3333, 2, 2, 6, True).describe()
    assert line == (
        "front threshold 0.9700: expected clean precision 1.000 (2 of 2), "
        "recall 0.333 (2 of 6 fronts)"
    )


def test_filtering_takes_the_calibrated_threshold_unless_front_conf_is_given(
    tmp_path: Path,
) -> None:
    weights = tmp_path / "front_classifier.pt"
    assert clean_threshold(FilterSettings(classifier=weights)) == DEFAULT_FRONT_CONF
    write_calibration(weights, calibrate(predictions(TABLE), 0.98))
    assert clean_threshold(FilterSettings(classifier=weights)) == 0.97
    assert clean_threshold(FilterSettings(classifier=weights, front_conf=0.5)) == 0.5
