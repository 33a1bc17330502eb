"""Every family of kinds resolves through one registry built next to its config union: the
registry has exactly the kinds the config accepts, each names a real implementation, and a
kind it lacks is a clear error on the real build path, never a fallback."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pandas as pd
import pytest
import torch

from compiler.language.check_args import CHECKS, CheckConfig, Slope
from report.checks import run_check
from runtime.config.model import PARAMETRIZATIONS, ModelConfig, ParametrizationConfig
from runtime.config.optimizer import OPTIMIZERS, AdamWConfig, OptimizerConfig
from runtime.config.registry import Registry, UnknownKind
from runtime.config.schedule import SCHEDULES, ScheduleConfig, WSDSchedule
from runtime.data.sources.configs import SOURCES, MarkovSource, SourceConfig
from runtime.data.sources.prepare import prepare
from runtime.model.gpt import GPT, param_table
from runtime.model.parametrization import Kind
from runtime.optim import build_optimizer
from runtime.optim.schedules import phases

ROOT = Path(__file__).resolve().parent.parent


def union_kinds(union: Any) -> set[str]:
    """The `kind` values a discriminated config union accepts, read from its members' models."""
    members = get_args(get_args(union)[0])  # Annotated[Union[...], discriminator]
    models = [get_args(m)[0] if get_origin(m) is Annotated else m for m in members]
    return {kind for model in models for kind in get_args(model.model_fields["kind"].annotation)}


FAMILIES = {
    "optimizer": (OPTIMIZERS, union_kinds(OptimizerConfig)),
    "schedule": (SCHEDULES, union_kinds(ScheduleConfig)),
    "data source": (SOURCES, union_kinds(SourceConfig)),
    "check": (CHECKS, union_kinds(CheckConfig)),
    "parametrization": (PARAMETRIZATIONS,
                        set(get_args(ParametrizationConfig.model_fields["kind"].annotation))),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_each_registry_has_exactly_the_kinds_its_config_accepts(family):
    registry, kinds = FAMILIES[family]
    assert registry.family == family
    assert len(kinds) > 1
    assert set(registry) == kinds


@pytest.mark.parametrize("family", FAMILIES)
def test_every_entry_names_an_implementation(family):
    registry, kinds = FAMILIES[family]
    for kind in kinds:
        implementation = registry[kind]
        if family == "parametrization":
            assert isinstance(implementation, Kind)
        else:
            assert callable(implementation)


def test_an_unknown_kind_names_the_family_the_kind_and_the_known_kinds():
    with pytest.raises(UnknownKind) as caught:
        SCHEDULES["cosin"]
    message = str(caught.value)
    assert message.startswith("unknown schedule kind 'cosin'; did you mean 'cosine'?")
    assert "known schedule kinds: constant, cosine, cycles, infinite" in message
    with pytest.raises(UnknownKind) as caught:
        OPTIMIZERS["newton"]
    assert "did you mean" not in str(caught.value)
    assert "adamw, apollo, apollo-mini, galore, lion, muon, sgd" in str(caught.value)


def test_an_entry_naming_a_missing_attribute_says_which():
    registry = Registry("optimizer", {"typo": "runtime.optim.torch_optimizers:adamww"})
    with pytest.raises(LookupError, match="torch_optimizers has no 'adamww'"):
        registry["typo"]


def test_an_unknown_optimizer_kind_is_an_error_not_apollo():
    model = GPT(ModelConfig(width=64, depth=1, head_dim=32), ParametrizationConfig())
    forced = AdamWConfig.model_construct(kind="adamx")
    with pytest.raises(UnknownKind, match="unknown optimizer kind 'adamx'; did you mean 'adamw'"):
        build_optimizer(model, model.param_rules, forced)
    # The same config with its real kind builds.
    assert isinstance(build_optimizer(model, model.param_rules, AdamWConfig()),
                      torch.optim.AdamW)


def test_an_unknown_schedule_kind_is_an_error():
    with pytest.raises(UnknownKind, match="unknown schedule kind 'wsdd'; did you mean 'wsd'"):
        phases(WSDSchedule.model_construct(kind="wsdd"), total_steps=100)
    assert phases(WSDSchedule(), total_steps=100)[-1].end == 0.0


def test_an_unknown_source_kind_is_an_error_not_a_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMLAB_CACHE", str(tmp_path))
    with pytest.raises(UnknownKind, match="unknown data source kind 'markof'; did you mean "
                                          "'markov'"):
        prepare(MarkovSource.model_construct(kind="markof"), 0.1)
    assert not any(tmp_path.iterdir())


def test_an_unknown_check_kind_is_an_error():
    forced = Slope.model_construct(kind="slopes", metric="final.val_loss")
    with pytest.raises(UnknownKind, match="unknown check kind 'slopes'; did you mean 'slope'"):
        run_check(forced, pd.DataFrame(), curves=None)


def test_an_unknown_parametrization_kind_is_an_error():
    forced = ParametrizationConfig.model_construct(kind="mupp")
    with pytest.raises(UnknownKind, match="unknown parametrization kind 'mupp'; did you mean "
                                          "'mup'"):
        param_table(ModelConfig(), forced)


def test_config_modules_and_their_registries_load_without_torch(tmp_path):
    # The compiler and the command line read every config union and registry; only resolving
    # an entry may import the runtime's torch code.
    probe = ("import sys\n"
             "from compiler.language.check_args import CHECKS\n"
             "from runtime.config.model import PARAMETRIZATIONS\n"
             "from runtime.config.optimizer import OPTIMIZERS\n"
             "from runtime.config.schedule import SCHEDULES\n"
             "from runtime.data.sources.configs import SOURCES\n"
             "for registry in (CHECKS, PARAMETRIZATIONS, OPTIMIZERS, SCHEDULES, SOURCES):\n"
             "    [registry.target(kind) for kind in registry]\n"
             "assert 'torch' not in sys.modules, 'a config module imported torch'\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
