"""Names shared by the filtering stages, the classifier training and the review tool."""

from __future__ import annotations

from pathlib import Path

# The front-facing classifier's classes, in the order training writes them.
FRONT = "front"
FRONT_ANGLED = "front_angled"
OTHER = "other"
CLASSIFIER_CLASSES: tuple[str, ...] = (FRONT, FRONT_ANGLED, OTHER)

# The reason a crop the classifier rejects gets (`not_front:<label>`); the review tool's label mode
# shows such crops under this name, so the wrong ones can be labelled.
NOT_FRONT = "not_front"
# A crop is not front-facing, whatever the thresholds, from this probability of `other` on: there
# `other` is at least as likely as `front` and `front_angled` together.
NOT_FRONT_FACING_AT = 0.5

# Where training writes the classifier and where run.py looks for it by default.
DEFAULT_CLASSIFIER = Path("models") / "front_classifier.pt"

# COCO classes of the detector that can be a car: close front shots are often labelled truck or bus.
VEHICLE_CLASSES: dict[int, str] = {2: "car", 5: "bus", 7: "truck"}
