from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.config.run import RunConfig


@pytest.fixture(autouse=True, scope="session")
def corpus_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One corpus cache per test session, so tests neither read nor write the user's cache."""
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLAIMLAB_CACHE", str(path))
        yield path


@pytest.fixture
def tiny() -> Callable[..., RunConfig]:
    """Builds a run small enough to train in well under a second; keyword arguments override
    config sections key by key (`seed=1` sets a value)."""

    def build(**sections: object) -> RunConfig:
        config = {
            "model": {"width": 32, "depth": 1, "head_dim": 16, "seq_len": 32},
            "parametrization": {"base_width": 32},
            "optimizer": {"lr": 1e-2},
            "data": {"batch_size": 8},
            "budget": {"steps": 40},
            "eval": {"every": 20, "batches": 2},
        }
        for name, value in sections.items():
            config[name] = {**config.get(name, {}), **value} if isinstance(value, dict) else value
        return RunConfig.model_validate(config)

    return build
