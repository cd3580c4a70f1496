"""`python -m review_tool data/final/<model>`: the same as `python review_tool/app.py`."""

from __future__ import annotations

import sys

from review_tool.app import main

sys.exit(main())
