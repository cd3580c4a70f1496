"""The front threshold chosen for clean's precision and the `other` threshold set above the front
views, against recounts from the predictions."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.classify import (
    Verdict,
    clean_threshold,
    reject_threshold,
    route,
    thresholds_in_use,
)
from filtering.settings import FilterSettings
from filtering.training.calibration import (
    DEFAULT_FRONT_CONF,
    MIN_FRONT_VIEWS,
    Calibration,
    calibrate,
    calibration_path,
    read_stored,
    with_other_threshold,
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


def bound(right: int, n: int, z: float = 1.6449) -> float:
    """Wilson's lower bound of a share (one-sided 95 %), written out here as the recount."""
    p = right / n
    return (p + z**2 / (2 * n) - z * (p * (1 - p) / n + z**2 / (4 * n**2)) ** 0.5) / (1 + z**2 / n)


# TABLE's thresholds, by the recount: 0.99 1 of 1 (bound 0.270), 0.97 2 of 2 (0.425), 0.91 2 of 3
# (0.254), 0.90 3 of 4 (0.356), 0.85 4 of 5 (0.435), 0.72 4 of 6 (0.347), 0.60 5 of 7 (0.409).
@pytest.mark.parametrize(
    ("target", "threshold", "clean", "fronts_in_clean"),
    [
        (0.43, 0.85, 5, 4),  # 4 of 5 is surer than 2 of 2: the rear at 0.91 is a price paid
        (0.42, 0.85, 5, 4),  # the lowest threshold that meets it, not the first from the top
        (0.40, 0.60, 7, 5),  # 5 of 7 at the lowest front: the most fronts at that bound
        (0.25, 0.60, 7, 5),
    ],
)
def test_the_lowest_threshold_whose_lower_bound_meets_the_target(
    target: float, threshold: float, clean: int, fronts_in_clean: int
) -> None:
    chosen = calibrate(predictions(TABLE), target)
    assert chosen.front_conf == threshold
    assert recount(TABLE, threshold) == (clean, fronts_in_clean)
    assert (chosen.clean, chosen.clean_fronts, chosen.fronts) == (clean, fronts_in_clean, 6)
    assert chosen.precision == round(fronts_in_clean / clean, 4)
    assert chosen.precision_bound == round(bound(fronts_in_clean, clean), 4)
    assert chosen.recall == round(fronts_in_clean / 6, 4)
    assert chosen.met
    # Every lower candidate threshold misses the target, by the recount.
    for _, predicted, conf in TABLE:
        if predicted == "front" and conf < threshold:
            assert bound(*recount(TABLE, conf)[::-1]) < target


@pytest.mark.parametrize("n", [1, 4, 10, 150])
def test_all_fronts_are_not_taken_for_certain(n: int) -> None:
    """n of n: Wilson's bound is n / (n + z^2), far below 1 for a handful."""
    rows = [("front", "front", 0.9)] * n
    chosen = calibrate(predictions(rows), 0.98)
    assert chosen.precision == 1.0
    assert chosen.precision_bound == round(n / (n + 1.6449**2), 4)
    assert chosen.met == (n >= 150)  # 0.98 needs some 150 fronts without a mistake
    assert chosen.front_conf == 0.9  # met or not, every front goes to clean


def test_a_target_the_bound_misses_takes_the_most_precise_and_says_so() -> None:
    chosen = calibrate(predictions(TABLE), 0.98)
    assert (chosen.front_conf, chosen.clean, chosen.clean_fronts) == (0.97, 2, 2)
    assert not chosen.met
    assert "at least 0.425 at 95 % confidence" in chosen.describe()
    assert "was not reached" in chosen.describe()


def test_a_target_no_threshold_meets_takes_the_most_precise() -> None:
    rows = [("other", "front", 0.99), ("front", "front", 0.95), ("other", "front", 0.90)]
    chosen = calibrate(predictions(rows), 0.98)
    assert (chosen.front_conf, chosen.clean, chosen.clean_fronts) == (0.95, 2, 1)
    assert chosen.precision == 0.5 and not chosen.met
    assert "was not reached" in chosen.describe()


@pytest.mark.parametrize(
    ("rows", "threshold", "clean", "fronts_in_clean"),
    [
        # 1 of 2 at 0.85 and 2 of 4 at 0.55 are the most precise; nothing proves either, so the
        # threshold is not taken below the default (0.55 before).
        (
            [("other", "front", 0.95), ("front", "front", 0.85), ("other", "front", 0.70),
             ("front", "front", 0.55), ("other", "front", 0.47), ("front", "front_angled", 0.9)],
            0.85, 2, 1,
        ),
        # Every front predicted under the default: clean as the default would have it, empty.
        ([("front", "front", 0.60), ("other", "front", 0.50)], DEFAULT_FRONT_CONF, 0, 0),
    ],
)  # fmt: skip
def test_a_target_not_met_never_goes_below_the_default(
    rows: list[tuple[str, str, float]], threshold: float, clean: int, fronts_in_clean: int
) -> None:
    chosen = calibrate(predictions(rows), 0.98)
    assert not chosen.met
    assert chosen.front_conf == threshold >= DEFAULT_FRONT_CONF
    assert recount(rows, threshold) == (clean, fronts_in_clean)
    assert (chosen.clean, chosen.clean_fronts) == (clean, fronts_in_clean)


def test_nothing_predicted_front_keeps_clean_empty() -> None:
    chosen = calibrate(predictions([("front", "other", 0.9), ("other", "other", 0.8)]), 0.98)
    assert (chosen.front_conf, chosen.clean, chosen.precision, chosen.recall) == (1.0, 0, None, 0)
    assert chosen.describe() == (
        "front threshold 1.0000: no held-back crop would be clean, recall 0.000 (0 of 1 fronts); "
        "the target 0.98 was not reached: label more fronts"
    )


def test_the_run_says_where_each_threshold_comes_from(tmp_path: Path) -> None:
    weights = tmp_path / "front_classifier.pt"
    assert thresholds_in_use(FilterSettings(classifier=weights)) == {
        "front_conf": "0.8 (default)",
        "other_conf": "none",
    }
    held_back = _with_others(_spread(MIN_FRONT_VIEWS + 5), REST)
    write_calibration(weights, with_other_threshold(calibrate(held_back, 0.98), held_back))
    used = thresholds_in_use(FilterSettings(classifier=weights))
    mine = "the calibration of front_classifier.pt"
    assert used["front_conf"] == f"0.95 ({mine}, which did not reach its precision target)"
    assert used["other_conf"] == f"0.2401 ({mine})"
    given = thresholds_in_use(FilterSettings(classifier=weights, front_conf=0.9, other_conf=1.0))
    assert given == {"front_conf": "0.9 (given)", "other_conf": "1 (given)"}


def test_the_file_next_to_the_weights_round_trips(tmp_path: Path) -> None:
    weights = tmp_path / "front_classifier.pt"
    assert read_stored(weights).front_conf is None  # no calibration yet
    chosen = calibrate(predictions(TABLE), 0.98)
    path = write_calibration(weights, chosen)
    assert path == tmp_path / "front_classifier_calibration.json" == calibration_path(weights)
    assert read_stored(weights).front_conf == 0.97
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing half-written left


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "cannot be read (Expecting value"),
        ("{", "cannot be read ("),
        (b"\xff\xfe{", "cannot be read ("),
        ("[]", "holds no calibration"),
        ('{"front_conf": "high"}', None),  # a calibration, without a usable threshold
        ('{"front_conf": 7}', None),
    ],
)
def test_a_broken_file_is_no_calibration_and_says_why(
    tmp_path: Path, text: str | bytes, why: str | None
) -> None:
    weights = tmp_path / "front_classifier.pt"
    path = calibration_path(weights)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    stored = read_stored(weights)
    assert stored.front_conf is None
    if why is None:
        assert stored.unreadable is None
    else:
        assert stored.unreadable is not None
        assert f"its calibration file {path} {why}" in stored.unreadable
        # and the run's line says why the threshold is the default
        front = thresholds_in_use(FilterSettings(classifier=weights))["front_conf"]
        assert front.startswith(f"0.8 (default: its calibration file {path} ")


def test_describe_names_threshold_precision_and_recall() -> None:
    line = Calibration(0.97, 0.4, 1.0, 0.3333, 2, 2, 6, True, 0.425).describe()
    assert line == (
        "front threshold 0.9700: expected clean precision 1.000 (2 of 2, at least 0.425 at 95 % "
        "confidence), recall 0.333 (2 of 6 fronts)"
    )


def test_filtering_takes_the_calibrated_threshold_unless_front_conf_is_given(
    tmp_path: Path,
) -> None:
    weights = tmp_path / "front_classifier.pt"
    assert clean_threshold(FilterSettings(classifier=weights)) == DEFAULT_FRONT_CONF
    write_calibration(weights, calibrate(predictions(TABLE), 0.98))
    assert clean_threshold(FilterSettings(classifier=weights)) == 0.97
    assert clean_threshold(FilterSettings(classifier=weights, front_conf=0.5)) == 0.5


def _with_others(facing_others: list[float], rest: list[tuple[str, str, float, float]]) -> list:
    """Held-back predictions: front views (predicted front_angled, at these `other`s), then `rest`
    as (true, predicted, conf, other)."""
    rows = [("front_angled", "front_angled", 0.6, o) for o in facing_others] + rest
    return [Prediction(Path(f"{k}.jpg"), t, p, c, o) for k, (t, p, c, o) in enumerate(rows)]


def _recount_other(held_back: list[Prediction], threshold: float) -> int:
    """Crops not front views that the threshold rejects besides those at other >= 0.5 (none
    predicted a straight front), written out."""
    return sum(
        p.label == "other"
        and p.predicted != "front"
        and p.other is not None
        and threshold <= p.other < 0.5
        for p in held_back
    )


def _spread(count: int) -> list[float]:
    """`count` probabilities of other from 0 to 0.24, in steps of 0.01."""
    return [0.01 * (k % 25) for k in range(count)]


FRONT_AT_090 = Calibration(0.90, 0.98, None, None, 0, 0, 0, False)  # the front threshold, fixed

REST = [
    ("other", "front_angled", 0.50, 0.45),  # a rear half taken for a front: rejected
    ("other", "front", 0.55, 0.40),  # a straight front not clean: questionable, not rejected
    ("other", "front", 0.95, 0.30),  # clean comes first: not the other threshold's to reject
    ("other", "front_angled", 0.80, 0.20),  # less other than the highest front view: kept
    ("front", "other", 0.70, 0.70),  # a front lost already: no say in the threshold
    ("other", "other", 0.90, 0.90),  # rejected anyway, not counted
    ("other", "other", 0.45, 0.45),  # other likeliest but under 0.5: the threshold rejects it
]


def test_the_other_threshold_lies_just_above_every_front_view() -> None:
    facing = _spread(MIN_FRONT_VIEWS + 5)  # the highest other 0.24
    held_back = _with_others(facing, REST)
    chosen = with_other_threshold(FRONT_AT_090, held_back)
    assert chosen.other_conf == 0.2401
    assert chosen.front_views == MIN_FRONT_VIEWS + 5
    assert chosen.other_rejected == _recount_other(held_back, 0.2401) == 2
    routed = [route(Verdict(p.predicted, p.conf, p.other), chosen.front_conf, chosen.other_conf)
              for p in held_back if p.label in ("front", "front_angled")]  # fmt: skip
    assert sum(fate == "rejected" for fate, _ in routed) == 1  # only the front at other 0.70
    assert chosen.front_views_lost == 1  # that front
    assert chosen.describe_other().startswith(
        f"other threshold 0.2401, just above all {MIN_FRONT_VIEWS + 5} held-back front views the "
        "classifier does not reject (1 more it rejects at other >= 0.5): it also rejects 2 "
        "held-back crop(s)"
    )


def test_a_front_view_likeliest_other_under_half_is_a_front_view_kept() -> None:
    """At other 0.45 a front view is more likely front-facing than not: run.py keeps it in
    questionable, so it counts among the front views the threshold lies above."""
    held_back = _with_others(_spread(MIN_FRONT_VIEWS), [("front", "other", 0.45, 0.45)])
    chosen = with_other_threshold(FRONT_AT_090, held_back)
    assert (chosen.front_views, chosen.front_views_lost) == (MIN_FRONT_VIEWS + 1, 0)
    assert chosen.other_conf == 0.4501
    kept = route(Verdict("other", 0.45, 0.45), chosen.front_conf, chosen.other_conf)
    assert kept == ("questionable", "front_views_likelier")


@pytest.mark.parametrize(
    ("facing", "why"),
    [
        ([0.01] * (MIN_FRONT_VIEWS - 1), f"({MIN_FRONT_VIEWS - 1} held-back front views the "
         "classifier does not reject (1 more it rejects at other >= 0.5), "
         f"{MIN_FRONT_VIEWS} needed to set it)"),
        ([0.01] * MIN_FRONT_VIEWS + [0.4999], "has other at 0.4999, so it would be 0.5 or more"),
    ],
)  # fmt: skip
def test_no_other_threshold(facing: list[float], why: str) -> None:
    held_back = _with_others(facing, REST)
    chosen = with_other_threshold(FRONT_AT_090, held_back)
    assert chosen.other_conf is None
    assert chosen.other_rejected == 0
    assert chosen.describe_other().startswith("other threshold: none")
    assert why in chosen.describe_other()


def test_predictions_without_other_set_no_threshold() -> None:
    held_back = predictions([("front", "front_angled", 0.6)] * (MIN_FRONT_VIEWS + 5))  # no other
    assert with_other_threshold(FRONT_AT_090, held_back).other_conf is None


def test_filtering_takes_the_calibrated_other_threshold_unless_given(tmp_path: Path) -> None:
    weights = tmp_path / "front_classifier.pt"
    assert reject_threshold(FilterSettings(classifier=weights)) is None  # no calibration
    held_back = _with_others(_spread(MIN_FRONT_VIEWS + 5), REST)
    write_calibration(weights, with_other_threshold(FRONT_AT_090, held_back))
    assert read_stored(weights).other_conf == 0.2401
    assert reject_threshold(FilterSettings(classifier=weights)) == 0.2401
    assert reject_threshold(FilterSettings(classifier=weights, other_conf=1.0)) == 1.0
    calibration_path(weights).write_text('{"front_conf": 0.9}')  # written before the threshold
    assert reject_threshold(FilterSettings(classifier=weights)) is None
