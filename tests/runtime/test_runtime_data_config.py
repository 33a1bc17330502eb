"""The data section is checked when a spec compiles: sources that cannot be read, mixes
that name no source and phases that cannot happen are errors at their spec line; a run's
id follows the contents of the user's files."""

from __future__ import annotations

import os
from pathlib import Path
from textwrap import dedent

import numpy as np
import pytest
from data_helpers import data, markov
from pydantic import ValidationError

from compiler import SpecError, compile_spec
from runtime.config.run import RunConfig, load_job


def compile_text(tmp_path: Path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(dedent(text))
    return compile_spec(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as error:
        compile_text(tmp_path, text)
    return [str(p) for p in error.value.problems]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Relative paths in a spec are relative to the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sources_that_cannot_be_read_are_errors_at_their_line(in_tmp):
    (in_tmp / "data").mkdir()
    (in_tmp / "odd.bin").write_bytes(b"\x01\x02\x03")
    found = problems(in_tmp, """\
        name: unreadable
        base:
          data:
            sources:
              web: {kind: text, path: "data/*.txt"}
              shards: {kind: tokens, path: shards.bin, vocab_size: 50304}
              folder: {kind: text, path: data}
              odd: {kind: tokens, path: odd.bin, vocab_size: 300}
              tok: {kind: text, path: odd.bin, tokenizer: missing.json}
        """)
    spec = in_tmp / "spec.yaml"
    assert found == [
        f"{spec}:5:31: base.data.sources.web.path: no file matches 'data/*.txt' "
        f"(relative to {in_tmp})",
        f"{spec}:6:36: base.data.sources.shards.path: no such file 'shards.bin' "
        f"(relative to {in_tmp})",
        f"{spec}:7:34: base.data.sources.folder.path: 'data' is a directory; name its "
        "files, e.g. 'data/*.txt'",
        f"{spec}:8:12: base.data.sources.odd: odd.bin has 3 bytes, not a whole number of "
        "uint16 tokens",
        f"{spec}:9:51: base.data.sources.tok.tokenizer: no such file 'missing.json' "
        f"(relative to {in_tmp})",
    ]


def test_mixes_and_phases_that_cannot_be_realised_are_errors(tmp_path):
    spec = """\
        name: mixes
        base:
          budget: {steps: 100}
          data:
            sources: {a: {kind: builtin}, b: {kind: builtin, name: stdlib-prose}}
            phases:
              warm: {mix: {a: 1.0}}
              late: {start: 120, mix: {b: 1.0}}
        """
    assert problems(tmp_path, spec) == [
        f"{tmp_path / 'spec.yaml'}:3:3: base: data.phases.late starts at step 120, after the "
        "run's last step (99, counting from 0)"]
    swept = spec.replace("120", "0.5") + "sweep: {grid: {data.phases.warm.mix.c: [1.0]}}\n"
    assert problems(tmp_path, swept) == [
        f"{tmp_path / 'spec.yaml'}:9:41: sweep.grid.data.phases.warm.mix.c[0]: phase 'warm' "
        "names unknown source(s) c; sources are a, b"]
    bad = data  # the same checks, on the config alone
    with pytest.raises(ValidationError, match="exactly one phase must start at step 0, "
                                              "found 2 .a, b."):
        bad(sources={"x": markov()}, phases={"a": {"mix": {"x": 1}}, "b": {"mix": {"x": 1}}})
    with pytest.raises(ValidationError, match="give mix weights or a temperature, not both"):
        bad(sources={"x": markov()}, mix={"x": 1}, temperature=2.0)
    with pytest.raises(ValidationError, match="give phases, or one mix for the whole run"):
        bad(sources={"x": markov()}, mix={"x": 1}, phases={"a": {"mix": {"x": 1}}})
    with pytest.raises(ValidationError, match="data.phases.late starts at step 120, after the "
                                              "run's last step"):
        RunConfig.model_validate({"budget": {"steps": 100}, "data": {
            "sources": {"x": markov()},
            "phases": {"warm": {"mix": {"x": 1}}, "late": {"start": 120, "mix": {"x": 1}}}}})
    with pytest.raises(ValidationError, match="epochs need order: shuffled, ascending"):
        bad(sources={"x": {**markov(), "epochs": 2}})


def test_sources_of_one_run_share_one_tokenization(tmp_path):
    np.arange(100, dtype=np.uint16).tofile(tmp_path / "ids.bin")
    with pytest.raises(ValidationError, match=r"share one tokenization, found code \(bytes\), "
                                              r"ids \(token ids\)"):
        data(sources={"code": {"kind": "builtin"},
                      "ids": {"kind": "tokens", "path": str(tmp_path / "ids.bin"),
                              "vocab_size": 1000}})


def test_the_model_vocabulary_must_cover_the_token_ids(tmp_path):
    np.arange(100, dtype=np.uint16).tofile(tmp_path / "ids.bin")
    sources = {"ids": {"kind": "tokens", "path": str(tmp_path / "ids.bin"), "vocab_size": 1000}}
    with pytest.raises(ValidationError, match="the sources use 1000 token ids but the model's "
                                              "vocabulary has 256; set model.vocab to 1000"):
        RunConfig.model_validate({"data": {"sources": sources}})
    config = RunConfig.model_validate({"data": {"sources": sources}, "model": {"vocab": 1000}})
    assert config.model.vocab_size == 1000


def test_run_id_follows_file_contents_not_their_timestamps(in_tmp):
    spec = """\
        name: own-text
        base:
          data: {sources: {notes: {kind: text, path: notes.txt}}}
        """
    notes = in_tmp / "notes.txt"
    notes.write_text("the same words\n" * 100)
    first = compile_text(in_tmp, spec).plan.runs[0]
    os.utime(notes, (1, 1))
    assert compile_text(in_tmp, spec).plan.runs[0].id == first.id
    notes.write_text("other words\n" * 100)
    changed = compile_text(in_tmp, spec).plan.runs[0]
    assert changed.id != first.id
    fingerprint = changed.config.data.sources["notes"].fingerprint
    assert fingerprint.startswith("sha256:") and fingerprint != \
        first.config.data.sources["notes"].fingerprint


def test_a_job_whose_files_changed_after_compiling_does_not_load(in_tmp):
    notes = in_tmp / "notes.txt"
    notes.write_text("version one\n" * 50)
    config = RunConfig.model_validate({"data": {"sources": {"notes": {
        "kind": "text", "path": "notes.txt"}}}})
    job = in_tmp / "job.json"
    job.write_text(config.model_dump_json())
    assert load_job(str(job)) == config
    notes.write_text("version two\n" * 50)
    with pytest.raises(ValidationError, match="the data changed since this run was planned"):
        load_job(str(job))


def test_every_kind_of_source_survives_the_job_file(in_tmp):
    np.arange(100, dtype=np.uint16).tofile(in_tmp / "ids.bin")
    (in_tmp / "notes.txt").write_text("some notes\n" * 20)
    prose = {"kind": "builtin", "name": "stdlib-prose"}
    for sources in ({"c": {"kind": "corrupted", "base": prose, "order": "ascending"},
                     "s": {"kind": "shifted", "base": {"kind": "shifted", "base": prose}},
                     "m": {**markov(), "order": "shuffled", "epochs": 2},
                     "t": {"kind": "text", "path": "notes.txt", "loss_weight": 0.5}},
                    {"i": {"kind": "tokens", "path": "ids.bin", "vocab_size": 100}}):
        config = RunConfig.model_validate({"data": {"sources": sources},
                                           "model": {"vocab": 256 if "c" in sources else 100}})
        job = in_tmp / "job.json"
        job.write_text(config.model_dump_json())
        assert load_job(str(job)) == config
    with pytest.raises(ValidationError, match="order belong on the outer source"):
        data(sources={"s": {"kind": "shifted", "base": {**prose, "order": "shuffled"}}})
