"""Spec problems as data, and files that cannot be read (the corpus of invalid specs is in
test_invalid_corpus.py)."""

import pytest

from compiler import SpecError, compile_spec


def test_problems_are_data_for_tools(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("name: demo\nbase:\n  model: {widht: 64}\n")
    with pytest.raises(SpecError) as caught:
        compile_spec(path)
    (problem,) = caught.value.problems
    assert (problem.location.line, problem.location.column) == (3, 11)
    assert problem.path == ("base", "model", "widht")
    assert problem.at_key


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError) as caught:
        compile_spec(tmp_path / "nope.yaml")
    assert str(caught.value) == f"cannot read {tmp_path / 'nope.yaml'}: No such file or directory"
