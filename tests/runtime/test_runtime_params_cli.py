"""`claimlab params`: the parametrization's numbers for each parameter of a run."""

import json

import pytest

from claimlab.main import main

SPEC = """\
name: widths
base:
  model: {width: 64, depth: 2, head_dim: 32}
  parametrization: {kind: mup, base_width: 64}
  optimizer: {lr: 0.01, weight_decay: 0.1}
sweep:
  grid:
    model.width: [64, 256]
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "widths.yaml"
    path.write_text(SPEC)
    return path


def run_ids(spec, capsys) -> dict[int, str]:
    assert main(["params", str(spec)]) == 2  # two models: a run must be chosen
    listing = capsys.readouterr().err
    assert "runs differ in their models; choose one with --run ID" in listing
    return {int(line.split("model.width=")[1].split()[0]): line.split()[0]
            for line in listing.splitlines() if "model.width=" in line}


def test_json_has_one_object_per_parameter(spec, capsys):
    ids = run_ids(spec, capsys)
    assert main(["params", str(spec), "--run", ids[256][:6], "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 + 2 * 9 + 1  # embeddings, ln_f gain and bias; 9 per block; readout
    up = next(row for row in rows if row["name"] == "blocks.1.mlp.up.weight")
    assert up == {"name": "blocks.1.mlp.up.weight", "shape": [1024, 256], "role": "hidden",
                  "init_mean": 0.0, "init_std": 1 / 16, "lr": 0.01 / 4,
                  "weight_decay": 0.1 * 4, "multiplier": 1.0}
    readout = next(row for row in rows if row["name"] == "readout.weight")
    assert readout["multiplier"] == 0.25 and readout["lr"] == 0.01


def test_text_table_says_what_the_run_is(spec, capsys):
    ids = run_ids(spec, capsys)
    assert main(["params", str(spec), "--run", ids[256]]) == 0
    out = capsys.readouterr().out
    assert f"run {ids[256]}: mup, width 256 (m = 4), depth 2" in out
    assert "attention scale 0.1768" in out  # 1/sqrt(32): head_dim is the base head_dim
    assert "blocks.0.attn.key_value.weight  512x256" in out
    assert out.rstrip().endswith("23 parameters, 1,739,264 numbers")


def test_mistakes_are_one_line_errors(spec, tmp_path, capsys):
    assert main(["params", str(spec), "--run", "zzz"]) == 2
    assert "--run zzz matches no run" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nbase:\n  parametrization: {kind: mupp}\n")
    assert main(["params", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:3:27: base.parametrization.kind" in err and "Traceback" not in err
