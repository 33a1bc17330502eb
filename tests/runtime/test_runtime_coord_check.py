import json

import pytest

from claimlab.main import main
from runtime.config.run import RunConfig
from runtime.diagnostics.coord_check import coord_check

WIDTHS = [64, 128, 256, 512]


def slopes(kind: str) -> dict[str, float]:
    # The default model (two layers, head_dim 32) with shorter sequences to keep it quick.
    config = RunConfig.model_validate({
        "parametrization": {"kind": kind, "base_width": 64}, "optimizer": {"lr": 1e-2},
        "model": {"seq_len": 64}, "data": {"batch_size": 8}})
    return coord_check(config, WIDTHS, steps=5).slopes()


@pytest.mark.slow
def test_activations_grow_with_width_under_sp_and_stay_put_under_mup():
    sp, mup = slopes("sp"), slopes("mup")
    assert set(sp) == set(mup) == {"embedding", "hidden", "readout", "vector"}
    # After four Adam updates, SP's hidden activations and logits grow with width...
    assert sp["hidden"] > 0.3 and sp["readout"] > 0.3
    # ...while every role keeps its size under muP.
    assert all(abs(slope) < 0.1 for slope in mup.values()), mup


def test_the_command_prints_each_roles_rms_per_width_and_its_slope(tmp_path, capsys):
    spec = tmp_path / "cc.yaml"
    spec.write_text("name: cc\nbase:\n  model: {width: 32, depth: 1, head_dim: 16, seq_len: 16}\n"
                    "  parametrization: {kind: mup, base_width: 32}\n  data: {batch_size: 4}\n")
    assert main(["coord-check", str(spec), "--widths", "32", "64", "--steps", "2",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["widths"] == [32, 64]
    assert set(result["slopes"]) == {"embedding", "hidden", "readout", "vector"}
    assert all(len(per_step) == 2 and len(per_step[0]) == 2
               for per_step in result["rms"].values())
    assert main(["coord-check", str(spec), "--widths", "32", "40"]) == 2
    assert "not a multiple of the run's head_dim (16)" in capsys.readouterr().err
