"""Writing a model's reviewed sets as a training-ready dataset (`python filtering/export.py`)."""
