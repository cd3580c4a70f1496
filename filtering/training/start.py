"""Choosing the starting weights: a classifier to fine-tune, a detector whose backbone the
classifier takes over, or random weights when nothing is at hand. Always says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filtering.training.settings import DEFAULT_START, SCRATCH_CONFIG
from filtering.weights import WeightsError, error_reason, not_a_checkpoint


@dataclass(frozen=True)
class Start:
    model: Any  # an ultralytics YOLO classification model, ready to train
    description: str  # what the user is told and the report records
    detector: Path | None = None  # the detector file whose backbone it took, if it took one


def choose_start(weights: str | None, seed: int, scratch_allowed: bool = False) -> Start:
    """The model training begins from; `weights` None means the default, downloaded if needed.
    Random weights stand in for a default that cannot be had only when `scratch_allowed` (the
    whole network trains): a head alone on a random backbone learns nothing of use.

    Seeded first: layers the starting weights do not fill (a new head, or everything from scratch)
    get random values here, before Ultralytics seeds its own training, and the trainer starts
    from them; without the seed the same command would give a different model each time.
    """
    import torch

    torch.manual_seed(seed)
    if weights is None:
        return _default_start(scratch_allowed)
    path = Path(weights)
    donor = _load(path)  # train.py has checked that the file is there, before any work
    if donor.task == "classify":
        return Start(donor, f"classifier {path} ({_how_started(donor)})")
    return _from_backbone(donor, path)


def _how_started(donor: Any) -> str:
    """What training takes of a classifier. One whose heads were merged (an ensemble trained here)
    gives its backbone only, which head-only training never changed: the heads begin anew
    (ensemble.classifier_of), and the held-back figures stay honest. Any other is fine-tuned,
    head and all, and crops it learnt from are held back from nothing."""
    from filtering.training.ensemble import merged_head

    if merged_head(donor.model):
        return "its backbone, with new heads: its own are several merged into one"
    return (
        "fine-tuned; if it learnt from these crops, the held-back figures and the thresholds "
        "calibrated from them are optimistic (start from a detector for honest ones)"
    )


def _default_start(scratch_allowed: bool) -> Start:
    from ultralytics import YOLO

    try:
        return Start(YOLO(DEFAULT_START), f"{DEFAULT_START} (Ultralytics' ImageNet classifier)")
    except (OSError, RuntimeError) as exc:  # offline (YOLO_OFFLINE, no network) or a bad download
        reason = str(exc).strip().lstrip("❌").strip() or type(exc).__name__
        if not scratch_allowed:
            raise WeightsError(
                f"the default starting weights {DEFAULT_START} could not be had ({reason}): "
                "give --weights, e.g. the detector yolov8n.pt, whose features work offline"
            ) from exc
        return Start(
            YOLO(SCRATCH_CONFIG),
            f"{SCRATCH_CONFIG} from scratch (random weights): {DEFAULT_START} could not be had "
            f"({reason}); --weights path/to/yolov8n.pt starts from a detector's features instead",
        )


def _from_backbone(donor: Any, path: Path) -> Start:
    """A classifier of the donor's family whose matching layers take the donor's weights."""
    from ultralytics import YOLO

    config = _classifier_config(donor)
    model: Any = YOLO(config)  # Ultralytics types `.model` loosely; it is an nn.Module here
    target = model.model.state_dict()
    source = donor.model.float().state_dict()
    moved = sum(k in source and source[k].shape == v.shape for k, v in target.items())
    if moved == 0:
        raise WeightsError(f"starting weights {path}: no layer fits a {config} classifier")
    model.load(donor.model)
    return Start(
        model,
        f"{config} with the backbone of the {donor.task} model {path} "
        f"({moved} of {len(target)} tensors taken over)",
        path if donor.task == "detect" else None,
    )


def _classifier_config(donor: Any) -> str:
    """`yolo11n-cls.yaml` for a `yolo11n.pt` detector; YOLOv8n's when the family is unknown."""
    yaml_file = Path(str(getattr(donor.model, "yaml", {}).get("yaml_file", "")))
    candidate = f"{yaml_file.stem}-cls.yaml" if yaml_file.stem else SCRATCH_CONFIG
    try:
        from ultralytics.nn.tasks import yaml_model_load

        yaml_model_load(candidate)
    except (OSError, FileNotFoundError):
        return SCRATCH_CONFIG
    return candidate


def _load(path: Path) -> Any:
    from ultralytics import YOLO  # heavy import, only when a model is really needed

    try:
        model = YOLO(str(path))
    except Exception as exc:  # Ultralytics raises many kinds; all mean "unusable"
        reason = not_a_checkpoint(path) or error_reason(exc)
        raise WeightsError(f"starting weights {path} cannot be loaded: {reason}") from exc
    if isinstance(model.model, str):  # a file Ultralytics took for a name, not weights
        raise WeightsError(f"starting weights {path} are not YOLO weights (a .pt file)")
    return model
