from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from report_synthetic import Experiment, make_experiment


@pytest.fixture
def experiment(tmp_path: Path) -> Callable[..., Experiment]:
    """`experiment(spec=None, outcome=None)`: see report_synthetic.make_experiment."""
    return partial(make_experiment, tmp_path)
