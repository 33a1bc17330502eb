import pytest

from runtime.config import RunConfig
from runtime.coord_check import coord_check

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
