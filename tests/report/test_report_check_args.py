"""The checks' typed arguments (compiler/language/check_args.py): mistakes are located in the
spec file, and the reference page the site shows is written from the same models."""

import textwrap
import typing

import pytest
from pydantic import TypeAdapter

from compiler import SpecError, compile_spec
from compiler.language.check_args import CHECKS, CheckConfig
from report.checks.rule import generic_rule, rule
from report.site.reference import check_models, render_reference

HEAD = """\
name: demo
sweep:
  grid: {model.width: [32, 64]}
claims:
  - id: a
    statement: s
"""

CASES = {
    "interval upside down": (
        "check: {kind: slope, metric: final.act_rms/*, against: model.width, within: [0.5, 0.1]}",
        "FILE:7:81: claims[0].check.within: expected [low, high] with low <= high, "
        "found [0.5, 0.1]"),
    "arms that are the same runs": (
        "check: {kind: ordering, metric: final.val_loss, lower: {seed: 1}, higher: {seed: 1}}",
        "FILE:7:12: claims[0].check: lower and higher must select different runs, both are "
        "{'seed': 1}"),
    "a final metric where a curve is wanted": (
        "check: {kind: crossing, metric: final.val_loss, a: {seed: 0}, b: {seed: 1}}",
        "FILE:7:37: claims[0].check.metric: expected a metric logged at each step like "
        "'val_loss' (a curve, without 'final.'), or a family reduced to one like "
        "'min(attn_entropy_min/*)', found 'final.val_loss'"),
    "a metric no run logs": (
        "check: {kind: monotone, metric: final.val_los, along: model.width, "
        "direction: increasing}",
        "FILE:7:37: claims[0].check.metric: no planned run logs a metric 'final.val_los' (did "
        "you mean 'final.val_loss', 'final.val_loss/code'?)"),
    "a family the runs do not measure": (
        "check: {kind: slope, metric: min(final.sharpness*), against: model.width, "
        "within: [0, 1]}",
        "FILE:7:34: claims[0].check.metric: no planned run logs 'final.sharpness*': it is "
        "measured only when eval.sharpness is set"),
    "a misspelt axis": (
        "check: {kind: power_law_fit, metric: final.val_loss, against: model.widht, "
        "exponent: [-1, 0]}",
        "FILE:7:67: claims[0].check.against: unknown config path 'model.widht' (did you mean "
        "'model.width'?)"),
    "an unknown direction": (
        "check: {kind: monotone, metric: final.val_loss, along: model.width, direction: down}",
        "FILE:7:84: claims[0].check.direction: expected one of 'increasing', 'decreasing', "
        "found 'down'"),
    "an unknown law": (
        "check: {kind: curve_fit_predict, law: chinchilla, fit: {seed: 0}, predict: {seed: 1}, "
        "tolerance: 0.1}",
        "FILE:7:43: claims[0].check.law: expected one of 'annealing', 'power', "
        "found 'chinchilla'"),
    "a prefix with over": (
        "check: {kind: slope, metric: final.loss*, against: model.width, within: [0, 1], "
        "over: optimizer.lr}",
        "FILE:7:12: claims[0].check: with `over`, metric must name one final metric, not a "
        "prefix"),
    "a misspelt summary field": (
        "check: {kind: slope, metric: final.val_loss, against: summary.n_param, within: [0, 1]}",
        "FILE:7:59: claims[0].check.against: unknown summary field 'summary.n_param' (did you "
        "mean 'summary.n_params'?)"),
    "a run quantity in the wrong case": (
        "check: {kind: slope, metric: final.val_loss, against: n, within: [0, 1]}",
        "FILE:7:59: claims[0].check.against: unknown config path 'n' (did you mean the run "
        "quantity 'N'?)"),
    "a run quantity compared with a word": (
        "check: {kind: monotone, metric: final.val_loss, along: model.width, "
        "direction: increasing, where: {N: big}}",
        "FILE:7:107: claims[0].check.where.N: N is a number, found 'big'"),
    "a negative tolerance": (
        "check: {kind: matches, metric: final.val_loss, a: {seed: 0}, b: {seed: 1}, "
        "tolerance: -1}",
        "FILE:7:91: claims[0].check.tolerance: must be > 0, found -1"),
}


@pytest.mark.parametrize("check, expected", CASES.values(), ids=CASES.keys())
def test_a_bad_argument_is_reported_where_it_is_written(tmp_path, check, expected):
    spec = tmp_path / "spec.yaml"
    spec.write_text(HEAD + textwrap.indent(check, "    ") + "\n")
    with pytest.raises(SpecError) as error:
        compile_spec(spec)
    assert str(error.value) == expected.replace("FILE", str(spec))


def test_every_kind_has_an_example_that_validates():
    kinds = [model.model_fields["kind"].default for model in check_models()]
    assert kinds == ["argmin_stable", "ordering", "matches", "not_worse", "slope",
                     "stability_edge", "power_law_fit", "joint_power_law",
                     "curve_fit_predict", "crossing", "time_to", "event_order", "monotone",
                     "gain_ratio", "optimum", "asymptote"]
    assert sorted(kinds) == sorted(CHECKS)
    adapter = TypeAdapter(CheckConfig)
    for model in check_models():
        assert type(adapter.validate_python(model.EXAMPLE)) is model


def test_the_reference_gives_each_kind_its_rule_example_and_arguments():
    page = render_reference()
    for model in check_models():
        kind = model.model_fields["kind"].default
        section = page.split(f"\n## {kind}\n", 1)[1].split("\n## ", 1)[0]
        # The page shows the rule in full: every optional clause, without its brackets.
        assert generic_rule(model)[:60] in section
        assert "[" not in generic_rule(model)
        assert f"kind: {kind}" in section
        for name in model.model_fields:
            if name != "kind":
                assert f"| `{name}` |" in section


def test_a_claims_rule_is_the_references_rule_with_its_arguments_filled_in():
    adapter = TypeAdapter(CheckConfig)
    base = {"kind": "crossing", "metric": "val_loss", "a": {"schedule.kind": "wsd"},
            "b": {"schedule.kind": "cosine"}}
    reference = render_reference()
    assert "before the last step both logged and by step `before`." in reference

    plain = rule(adapter.validate_python(base))
    assert plain.startswith("The val_loss curves of schedule.kind=wsd and schedule.kind=cosine "
                            "cross")
    assert "before the last step both logged." in plain and "by step" not in plain
    assert "`" not in plain

    narrowed = rule(adapter.validate_python(
        {**base, "before": 300, "where": {"model.width": 64}}))
    assert narrowed.startswith("Among runs with model.width=64: the val_loss curves")
    assert "before the last step both logged and by step 300." in narrowed


def test_every_checks_rule_reads_with_its_example_arguments():
    adapter = TypeAdapter(CheckConfig)
    for model in check_models():
        args = adapter.validate_python(model.EXAMPLE)
        text = rule(args)
        assert "`" not in text, text
        named = [name for name in model.model_fields
                 if f"`{name}`" in typing.cast(str, model.__doc__)]
        for name in named:
            value = getattr(args, name)
            if isinstance(value, str):
                assert value in text, (model.__name__, name)


def test_summary_fields_and_derived_quantities_are_axes(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(HEAD + "    check: {kind: slope, metric: final.val_loss, "
                    "against: summary.n_params, within: [0, 1], where: {C: 1.0e+12}}\n"
                    "  - id: b\n    statement: s\n    check: {kind: power_law_fit, "
                    "metric: final.val_loss, against: tokens_per_param, exponent: [-1, 0]}\n")
    checks = [claim.check for claim in compile_spec(spec).spec.claims]
    assert (checks[0].against, checks[0].where, checks[1].against) == \
        ("summary.n_params", {"C": 1e12}, "tokens_per_param")


@pytest.mark.parametrize(("where", "expected"), [
    ("{one_of: [cosine, cosnie]}", "spec.yaml:9:78: claims[0].check.where.schedule.kind"
                                   ".one_of[1]: expected one of"),
    ("{one_of: []}", "spec.yaml:9:60: claims[0].check.where.schedule.kind: expected "
                     "{one_of: [value, ...]}"),
    ("{one_of: [cosine], also: 1}", "spec.yaml:9:60: claims[0].check.where.schedule.kind: "
                                    "expected {one_of: [value, ...]}"),
])
def test_a_bad_one_of_is_reported_where_it_is_written(tmp_path, where, expected):
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        name: s
        sweep:
          grid:
            schedule.kind: [constant, cosine]
        claims:
          - id: c
            statement: s
            check: {{kind: monotone, metric: final.val_loss, along: optimizer.lr,
                     direction: decreasing, where: {{schedule.kind: {where}}}}}
        """))
    with pytest.raises(SpecError) as error:
        compile_spec(spec)
    assert expected in str(error.value)
