"""Stage 3: a real classifier trained in the test routes crops to clean, questionable, rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps

from filtering.classify import (
    Classifier,
    Verdict,
    _verdict,
    describe_thresholds,
    flip_averaged,
    route,
)
from filtering.crop_fit import BOTH, CENTRE, FIT_KEY, GREY, PAD, STRETCH, fit_of, fit_square
from filtering.records import CLEAN, QUESTIONABLE, REJECTED
from filtering.settings import FilterSettings
from filtering.weights import WeightsError
from tests.conftest import SHARED
from tests.filter.scenes import bus_scene, empty_scene, gray

PHOTOS = SHARED / "photos" / "lire-ferrari"


@pytest.mark.parametrize(
    ("verdict", "fate", "reason"),
    [
        (Verdict("front", 0.95), CLEAN, None),
        (Verdict("front", 0.80), CLEAN, None),
        (Verdict("front", 0.79), QUESTIONABLE, "front_low_confidence"),
        (Verdict("front_angled", 0.99), QUESTIONABLE, "front_angled"),
        (Verdict("front_angled", 0.40), QUESTIONABLE, "front_angled"),
        (Verdict("other", 0.99), REJECTED, "not_front:other"),  # no other given: the label
        (Verdict("other", 0.99, other=0.99), REJECTED, "not_front:other"),
        (Verdict("other", 0.50, other=0.50), REJECTED, "not_front:other"),
        # other likeliest, but front and front_angled together likelier: a doubt, kept
        (Verdict("other", 0.45, other=0.45), QUESTIONABLE, "front_views_likelier"),
        (Verdict("rear", 0.90, other=0.05), REJECTED, "not_front:rear"),  # a class beyond three
    ],
)
def test_routing(verdict: Verdict, fate: str, reason: str | None) -> None:
    assert route(verdict, front_conf=0.80) == (fate, reason)


@pytest.mark.parametrize(
    ("verdict", "fate", "reason"),
    [
        (Verdict("front", 0.85, other=0.10), CLEAN, None),  # clean is decided first
        (Verdict("front", 0.60, other=0.29), QUESTIONABLE, "front_low_confidence"),
        (Verdict("front", 0.60, other=0.39), QUESTIONABLE, "front_low_confidence"),  # straight
        (Verdict("front_angled", 0.55, other=0.41), REJECTED, "not_front:likely_other"),
        (Verdict("front_angled", 0.90, other=0.05), QUESTIONABLE, "front_angled"),
        (Verdict("front_angled", 0.60), QUESTIONABLE, "front_angled"),  # no other given
        (Verdict("other", 0.50, other=0.50), REJECTED, "not_front:other"),
        (Verdict("other", 0.45, other=0.45), REJECTED, "not_front:likely_other"),
    ],
)
def test_routing_with_an_other_threshold(verdict: Verdict, fate: str, reason: str | None) -> None:
    assert route(verdict, front_conf=0.80, other_conf=0.30) == (fate, reason)


def test_without_an_other_threshold_other_must_reach_half() -> None:
    verdict = Verdict("front_angled", 0.45, other=0.44)
    assert route(verdict, front_conf=0.80, other_conf=None) == (QUESTIONABLE, "front_angled")
    doubt = Verdict("other", 0.49, other=0.49)
    assert route(doubt, front_conf=0.80, other_conf=0.49) == (REJECTED, "not_front:likely_other")
    assert route(doubt, front_conf=0.80, other_conf=0.50) == (QUESTIONABLE, "front_views_likelier")


def test_the_trained_classifier_tells_the_views_apart(
    tiny_classifier: Path, bus_photo: Path
) -> None:
    classify = Classifier.from_weights(FilterSettings(classifier=tiny_classifier))
    assert classify.imgsz == 64  # the size it was trained at, read from the weights
    bus = bus_scene(bus_photo).crop((250, 220, 1060, 780))
    verdicts = classify([bus, gray(bus), empty_scene(7)])
    assert [v.label for v in verdicts] == ["front", "front_angled", "other"]
    assert all(0.0 <= v.conf <= 1.0 for v in verdicts)
    assert verdicts[2].other == verdicts[2].conf  # other is first: its probability is conf
    assert all(v.other is not None and v.other < 0.5 for v in verdicts[:2])


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


class _Probs:
    def __init__(self, data: list[float]) -> None:
        import torch

        self.data = torch.tensor(data)


class _Result:
    def __init__(self, data: list[float]) -> None:
        self.names = {0: "front", 1: "front_angled", 2: "other"}
        self.probs = _Probs(data)


class _SidedModel:
    """A stand-in classifier that answers by which half of the image is brighter: sure of a
    `front` when the left half is, leaning to `front_angled` when the right half is."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.sizes: set[tuple[int, int]] = set()

    def predict(self, views: list[Image.Image], **options: object) -> list[_Result]:
        self.asked.append(len(views))
        self.sizes |= {view.size for view in views}
        return [_Result(self._answer(view)) for view in views]

    @staticmethod
    def _answer(view: Image.Image) -> list[float]:
        grey = view.convert("L")
        half = grey.width // 2
        left = grey.crop((0, 0, half, grey.height)).resize((1, 1), Image.BOX).getpixel((0, 0))
        right = grey.crop((half, 0, grey.width, grey.height)).resize((1, 1), Image.BOX)
        return [0.7, 0.1, 0.2] if left > right.getpixel((0, 0)) else [0.1, 0.5, 0.4]


def _left_lit(width: int = 40, height: int = 20) -> Image.Image:
    image = Image.new("RGB", (width, height), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, width // 2, height))
    return image


@pytest.mark.parametrize(
    ("fit", "size"),
    [(CENTRE, (128, 64)), (STRETCH, (64, 64)), (PAD, (64, 64)), (BOTH, (64, 64))],
)
def test_a_verdict_averages_the_crop_and_its_mirror(fit: str, size: tuple[int, int]) -> None:
    model = _SidedModel()
    verdicts = flip_averaged(
        model, [_left_lit(), _left_lit().transpose(Image.FLIP_LEFT_RIGHT)], 64, "cpu", fit
    )
    # One look says front 0.7 (or front_angled 0.5); the crop and its mirror together say front
    # (0.7 + 0.1) / 2 = 0.4, angled (0.1 + 0.5) / 2 = 0.3, other 0.3, whichever way it faces.
    assert verdicts == [Verdict("front", 0.4, other=0.3), Verdict("front", 0.4, other=0.3)]
    # Both crops and both mirrors in one batch; for BOTH, one batch per square
    assert model.asked == ([4, 4] if fit == BOTH else [4])
    assert model.sizes == {size}  # each made square the way asked (a 2:1 crop)


class _GreyCornerModel(_SidedModel):
    """A stand-in that is sure of `other` when a view's corner is the padding's grey."""

    @staticmethod
    def _answer(view: Image.Image) -> list[float]:
        padded = view.convert("RGB").getpixel((0, 0)) == GREY
        return [0.1, 0.1, 0.8] if padded else [0.9, 0.05, 0.05]


class _SureModel(_SidedModel):
    """A stand-in that gives every view the same answer."""

    def __init__(self, answer: list[float]) -> None:
        super().__init__()
        self.answer = answer

    def _answer(self, view: Image.Image) -> list[float]:
        return self.answer


def test_with_a_model_for_each_square_each_is_asked_its_own_square_only() -> None:
    """A head for each square (square_heads.py): the stretched views go to the first model, the
    padded ones to the second, and their four answers are averaged."""
    stretched, padded = _SureModel([0.9, 0.05, 0.05]), _GreyCornerModel()
    crop = _left_lit()
    verdicts = flip_averaged(stretched, [crop, crop], 64, "cpu", BOTH, [stretched, padded])
    assert verdicts == [Verdict("front", 0.5, 0.425)] * 2
    assert stretched.asked == [4] and padded.asked == [4]  # each its two crops and mirrors
    with pytest.raises(ValueError):  # a model too few: the squares are not left unasked
        flip_averaged(stretched, [crop], 64, "cpu", BOTH, [stretched])


def test_both_fits_average_the_four_views_of_a_crop() -> None:
    """Stretched, the 2:1 crop fills the square (front 0.9); padded, it has grey bands (other
    0.8): each view's answer counts once, with its mirror's."""
    model = _GreyCornerModel()
    crop = _left_lit()
    assert flip_averaged(model, [crop], 64, "cpu", STRETCH) == [Verdict("front", 0.9, 0.05)]
    assert flip_averaged(model, [crop], 64, "cpu", PAD) == [Verdict("other", 0.8, 0.8)]
    assert flip_averaged(model, [crop], 64, "cpu", BOTH) == [Verdict("front", 0.5, 0.425)]


def test_flip_averaging_asks_nothing_of_no_crops() -> None:
    model = _SidedModel()
    assert flip_averaged(model, [], 64, "cpu", STRETCH) == []
    assert model.asked == []


def test_shrinking_first_gives_the_verdicts_of_the_whole_crops(tiny_classifier: Path) -> None:
    """flip_averaged shrinks each crop before Ultralytics sees it; the verdicts must be the ones
    Ultralytics gives the crop and its mirror at full size, to the last digit."""
    paths = sorted(PHOTOS.glob("*/*.jpg"))[::7]
    if not paths:
        pytest.skip(f"real photos not found at {PHOTOS}")
    photos = [Image.open(path).convert("RGB") for path in paths]
    crops = photos + [photo.crop((50, 40, photo.width - 90, photo.height - 20)) for photo in photos]
    from ultralytics import YOLO

    model = YOLO(str(tiny_classifier))
    whole = crops + [ImageOps.mirror(crop) for crop in crops]
    results = model.predict(whole, imgsz=64, device="cpu", batch=len(whole), verbose=False)
    n = len(crops)
    expected = [_verdict([a, b]) for a, b in zip(results[:n], results[n:], strict=True)]
    assert flip_averaged(model, crops, 64, "cpu", CENTRE) == expected
    assert len(crops) >= 20 and all(min(crop.size) > 64 for crop in crops)  # all were shrunk


def _ends_lit(width: int, height: int) -> Image.Image:
    """A wide crop whose left tenth is red and right tenth blue, like a car's lamps and tail."""
    image = Image.new("RGB", (width, height), (128, 128, 128))
    image.paste((255, 0, 0), (0, 0, width // 10, height))
    image.paste((0, 0, 255), (width - width // 10, 0, width, height))
    return image


@pytest.mark.parametrize(
    ("fit", "size", "ends_seen", "top_row_grey"),
    [
        (STRETCH, (64, 64), True, False),  # the whole crop, squeezed into the square
        (PAD, (64, 64), True, True),  # the whole crop, its shape kept between grey bands
        # Ultralytics' centre square of a 2.5:1 crop keeps its middle 40 %: neither end.
        (CENTRE, (160, 64), False, False),
    ],
)
def test_the_classifier_sees_the_whole_crop_or_its_centre(
    fit: str, size: tuple[int, int], ends_seen: bool, top_row_grey: bool
) -> None:
    from ultralytics.data.augment import classify_transforms

    fitted = fit_square(_ends_lit(500, 200), 64, fit)
    assert fitted.size == size
    seen = classify_transforms(64)(fitted)  # what Ultralytics then gives the network
    assert tuple(seen.shape) == (3, 64, 64)
    left, right = seen[:, 32, 1].tolist(), seen[:, 32, -2].tolist()
    assert (left[0] > 0.9 and left[2] < 0.1) is ends_seen  # red
    assert (right[2] > 0.9 and right[0] < 0.1) is ends_seen  # blue
    corner = seen[:, 1, 1].tolist()  # the crop's own corner is red; a band's is grey
    assert (corner == pytest.approx([114 / 255] * 3, abs=0.01)) is top_row_grey


class _Checkpointed:
    def __init__(self, checkpoint: object) -> None:
        self.ckpt = checkpoint


@pytest.mark.parametrize(
    ("model", "fit"),
    [
        (_Checkpointed({FIT_KEY: STRETCH, "model": None}), STRETCH),
        (_Checkpointed({FIT_KEY: CENTRE}), CENTRE),
        (_Checkpointed({FIT_KEY: PAD}), PAD),
        (_Checkpointed({"model": None}), CENTRE),  # Ultralytics' own, or an earlier training's
        (_Checkpointed(None), CENTRE),  # an export without a calibration file
        (object(), CENTRE),  # a stand-in model
    ],
)
def test_each_classifier_is_asked_the_way_it_was_trained(model: object, fit: str) -> None:
    assert fit_of(model) == fit


@pytest.mark.parametrize(
    ("model", "stored", "fit"),
    [
        (_Checkpointed(None), STRETCH, STRETCH),  # an export: its calibration file says
        (_Checkpointed(None), None, CENTRE),  # an export with a calibration of an earlier version
        (_Checkpointed({FIT_KEY: PAD}), STRETCH, PAD),  # the weights' own record comes first
    ],
)
def test_an_export_is_asked_as_its_calibration_file_says(
    model: object, stored: str | None, fit: str
) -> None:
    assert fit_of(model, stored) == fit


def test_an_unknown_way_is_refused_when_making_the_square() -> None:
    with pytest.raises(ValueError, match="unknown crop fit 'sideways'"):
        fit_square(_left_lit(), 64, "sideways")


def test_a_way_this_version_does_not_know_is_named() -> None:
    with pytest.raises(WeightsError, match=r"its checkpoint says .* 'sideways', which this"):
        fit_of(_Checkpointed({FIT_KEY: "sideways"}))
    with pytest.raises(WeightsError, match=r"the calibration file beside it says .* 'squash'"):
        fit_of(_Checkpointed(None), "squash")


@pytest.mark.parametrize(
    ("other_conf", "said"),
    [
        (None, "a crop is rejected at other >= 0.5 (no other threshold)"),
        (0.3, "rejected at other >= 0.5, one that is not a straight front at other >= 0.3 (given)"),
        (1.0, "a crop is rejected at other >= 0.5 (the other threshold is off: 1 "),
        (0.5, "a crop is rejected at other >= 0.5 (the other threshold is off: 0.5 "),
    ],
)
def test_the_run_says_which_other_threshold_it_applies(
    tmp_path: Path, other_conf: float | None, said: str
) -> None:
    settings = FilterSettings(classifier=tmp_path / "front_classifier.pt", other_conf=other_conf)
    assert said in describe_thresholds(settings)
