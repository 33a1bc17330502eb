"""The metric names the spec language accepts (compiler/language/metric_names.py) are the
ones a run logs: a run with every measurement on is trained, and its log compared."""

import json

from compiler.language.metric_names import Logged, logged
from runtime.train import train


def test_every_logged_name_is_known_and_every_known_name_is_logged(tiny, tmp_path):
    config = tiny(model={"depth": 2}, budget={"steps": 4},
                  eval={"every": 2, "diagnostics_every": 2, "ema": 0.9, "average_last": 2,
                        "sharpness": {"every": 2, "iterations": 2}})
    assert train(config, tmp_path)["status"] == "completed"
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    names = {name for record in records for name in record} - {"step"}
    known = logged(config)

    assert {name for name in names if not known.has(name)} == set()
    assert known.names - names == set()
    assert all(any(name.startswith(prefix) for name in names) for prefix in known.open_prefixes)


def test_a_measurement_that_is_off_is_not_known(tiny):
    plain = Logged.by([tiny(eval={"every": 20, "diagnostics_every": 0})])
    assert not plain.has("act_rms/hidden") and not plain.has("sharpness")
    assert plain.problem("final.act_rms/*") == (
        "no planned run logs 'final.act_rms/*': it is measured only when "
        "eval.diagnostics_every is not 0")
