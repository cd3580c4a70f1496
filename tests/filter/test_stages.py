"""The stages as units, with small fake models: what each decides, that a crop rejected by a
stage leaves no file, and that a doubt about a clean crop makes it questionable."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from filtering.batch import Batch, Models, RunContext, demote
from filtering.classes import NOT_FRONT
from filtering.classify import Verdict
from filtering.detect import Box
from filtering.images import load_raw
from filtering.pipeline import run_model
from filtering.records import read_records
from filtering.report import write_report
from filtering.settings import FilterSettings
from filtering.stage_list import STAGE_NAMES, STAGE_TYPES, build_stages, governing
from filtering.stages import ClassifyStage
from review_tool.folder import scan
from tests.filter.fakes import MODEL, add_photos, fake_classify, fake_detect


def test_the_stages_are_listed_once_in_order() -> None:
    assert STAGE_NAMES == (
        "load", "exact_duplicates", "detect", "classify", "quality", "near_duplicates",
    )  # fmt: skip
    assert [kind.name for kind in STAGE_TYPES] == list(STAGE_NAMES)
    assert governing("detect", "vehicle_cut_off") == ("edge_margin",)
    assert governing("classify", "not_front:other") == ("classifier",)
    assert governing("classify", "not_front:likely_other") == ("classifier", "other_conf")
    assert governing("review", "moved_to_clean") == ()


def test_every_reason_names_settings_that_exist() -> None:
    known = set(vars(FilterSettings()))
    for kind in STAGE_TYPES:
        for reason, names in kind.reasons.items():
            assert set(names) <= known, (kind.name, reason)


def _sure(label: str, conf: float) -> Models:
    return Models(fake_detect, lambda crops: [Verdict(label, conf) for _ in crops])


def test_a_crop_the_classifier_rejects_is_kept_for_labelling_in_no_set(tmp_path: Path) -> None:
    """The classifier's mistakes are the labels the next training lacks: its rejections are
    written to crops/, where label mode's `not_front` set shows them, and to no set."""
    settings = FilterSettings(data=tmp_path / "data", batch=2)
    add_photos(settings, range(3))
    run_model(MODEL, settings, _sure("other", 0.99))
    path = settings.final(MODEL) / "records.jsonl"
    records = read_records(path).by_id
    assert {r["reason"] for r in records.values()} == {"not_front:other"}
    for image_id, record in records.items():
        assert record["crop"] == f"crops/{MODEL}/{image_id}.jpg"
        assert (settings.data / record["crop"]).is_file()
    assert not any(p.is_file() for p in settings.final(MODEL).rglob("*.jpg"))  # in no set
    shown = scan(settings.final(MODEL), (NOT_FRONT,), read_records(path))
    assert sorted(shown.locations) == sorted(records)


def test_a_crop_another_stage_rejects_is_never_written(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data", batch=2, min_box_area=0.99)
    add_photos(settings, range(3))
    run_model(MODEL, settings, _sure("front", 0.99))
    records = read_records(settings.final(MODEL) / "records.jsonl").by_id
    assert {r["reason"] for r in records.values()} == {"vehicle_too_small"}
    assert {r.get("crop") for r in records.values()} == {None}
    assert not settings.crops(MODEL).exists() or not any(settings.crops(MODEL).iterdir())


def _batch(tmp_path: Path, settings: FilterSettings) -> Batch:
    add_photos(settings, range(2))
    paths = sorted(settings.raw(MODEL).iterdir())
    return Batch([(p, load_raw(p, settings.max_pixels)) for p in paths])


@pytest.mark.parametrize(("conf", "target"), [(0.95, "clean"), (0.5, "questionable")])
def test_a_doubt_demotes_clean_only(tmp_path: Path, conf: float, target: str) -> None:
    settings = FilterSettings(data=tmp_path / "data")
    batch = _batch(tmp_path, settings)
    with ThreadPoolExecutor(1) as pool:
        load, _, detect, classify, *_ = build_stages(
            RunContext(settings, _sure("front", conf), {}, pool)
        )
        for stage in (load, detect):
            stage(batch)
        doubted, plain = sorted(batch.records)
        demote(batch.records[doubted], "cut_at_left")
        classify(batch)
    assert batch.records[plain]["target"] == target
    record = batch.records[doubted]
    assert (record["target"], record["doubts"]) == ("questionable", ["cut_at_left"])
    reason = "cut_at_left" if target == "clean" else "front_low_confidence"
    assert record["reason"] == reason


def test_a_doubt_after_the_classifier_demotes_too(tmp_path: Path) -> None:
    record = {"target": "clean", "reason": None}
    demote(record, "too_dark")
    demote(record, "too_dark")
    assert record == {"target": "questionable", "reason": "too_dark", "doubts": ["too_dark"]}


def _at_left_edge(images: Sequence[Image.Image]) -> list[list[Box]]:
    """A whole car whose side reaches the frame's left edge."""
    return [[Box(0.0, 0.2 * i.height, 0.7 * i.width, 0.8 * i.height, 0.9, "car")] for i in images]


def test_the_report_shows_each_doubt_with_the_option_behind_it(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data", front_conf=0.8)
    add_photos(settings, range(2))
    models = Models(_at_left_edge, lambda crops: [Verdict("front", 0.99) for _ in crops])
    run = run_model(MODEL, settings, models)
    assert {(r["fate"], r["reason"]) for r in run.done} == {("questionable", "cut_left")}
    html = write_report(MODEL, run.records, settings).read_text()
    assert "questionable, doubted as cut_left: 2 (governed by --edge-margin 0.01)" in html


def test_the_default_clean_threshold_and_its_override(tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as pool:
        models = Models(fake_detect, fake_classify)
        default = ClassifyStage(RunContext(FilterSettings(), models, {}, pool))
        given = ClassifyStage(RunContext(FilterSettings(front_conf=0.5), models, {}, pool))
    assert (default.front_conf, given.front_conf) == (0.80, 0.5)


def _unused(image: Image.Image) -> None: ...
