"""Editors and commits: the JSON Schema of specs (committed, up to date, and agreeing with the
compiler on real specs), the yaml-language-server modeline of every spec, `claimlab
validate`, and the pre-commit hook that runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from claimlab.commands.schema import schema_text
from claimlab.main import main

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=schema/spec.schema.json"


@pytest.mark.parametrize("fragment", [False, True], ids=["spec", "fragment"])
def test_the_committed_schemas_are_up_to_date(fragment):
    name = "fragment" if fragment else "spec"
    committed = ROOT / "specs" / "schema" / f"{name}.schema.json"
    assert committed.read_text() == schema_text(fragment), \
        "specs/schema/ is stale: run scripts/spec-schemas.sh"


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem for spec in SPECS])
def test_every_spec_carries_the_modeline_and_fits_the_schema(spec):
    text = spec.read_text()
    assert text.splitlines()[0] == MODELINE
    schema = json.loads((ROOT / "specs" / "schema" / "spec.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))


def test_the_schema_rejects_what_the_compiler_rejects():
    schema = json.loads(schema_text(False))
    validator = jsonschema.Draft202012Validator(schema)
    good = {"name": "x", "extends": "base/tiny.yaml",
            "sweep": {"grid": {"model.width": [32, 64],
                               "optimizer.lr": {"logspace": [1e-3, 1e-1, 3]}}},
            "profiles": {"gpu": {"resources": {"gpus_per_node": 8}}}}
    assert list(validator.iter_errors(good)) == []
    for bad in ({"name": "x", "base": {"model": {"widht": 64}}},
                {"name": "x", "sweep": {"grid": {"model.width": 64}}},
                {"name": "x", "profiles": {"gpu": {"resources": {"gpus": 8}}}},
                {"base": {}}):
        assert list(validator.iter_errors(bad)), bad


@pytest.mark.parametrize("fragment", [False, True], ids=["spec", "fragment"])
def test_every_property_an_editor_completes_is_described(fragment):
    schema = json.loads(schema_text(fragment))
    undescribed = [path for path, prop in _properties(schema, "")
                   if not str(prop.get("description", "")).strip()]
    assert undescribed == [], f"{len(undescribed)} properties lack a description"


def _properties(schema, where):
    """(path, schema) of every property of every object in `schema`, through $defs, anyOf,
    items and additionalProperties alike."""
    if isinstance(schema, dict):
        for name, prop in (schema.get("properties") or {}).items():
            yield f"{where}.{name}", prop
        for key, value in schema.items():
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _properties(value, f"{where}[{index}]")


def test_validate_checks_every_profile_and_exits_2_on_problems(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "good.yaml").write_text(
        "name: good\nsweep: {grid: {model.depth: [1, 2]}}\n"
        "profiles: {deep: {sweep: {grid: {model.depth: [4, 8, 16]}}}}\n")
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "ok specs/good.yaml: 2 runs, 3 with --profile deep\n"
    (tmp_path / "specs" / "bad.yaml").write_text(
        "name: bad\nbase: {model: {head_dim: 16}}\n"
        "profiles: {odd: {sweep: {grid: {model.width: [24]}}}}\n")
    assert main(["validate"]) == 2
    out, err = capsys.readouterr()
    assert out == "ok specs/good.yaml: 2 runs, 3 with --profile deep\n"
    assert err.splitlines() == [
        "specs/bad.yaml:3:47: sweep.grid.model.width[0]: width (24) must be a multiple of "
        "head_dim (16)",
        "1 of 2 spec(s) have problems",
    ]


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv/bin/pre-commit").exists(),
                    reason="pre-commit is not installed in .venv")
def test_the_pre_commit_hook_stops_a_commit_of_a_broken_spec(tmp_path):
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    for name in (".pre-commit-config.yaml", "scripts/spec-schemas.sh"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, repo / name)
    (repo / "specs" / "schema").mkdir()
    for name, fragment in (("spec", False), ("fragment", True)):
        (repo / "specs" / "schema" / f"{name}.schema.json").write_text(schema_text(fragment))
    (repo / ".venv").symlink_to(ROOT / ".venv")
    pre_commit = str(ROOT / ".venv/bin/pre-commit")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "PYTHONPATH": str(ROOT), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)

    git("init", "-q")
    assert subprocess.run([pre_commit, "install"], cwd=repo, env=env,
                          capture_output=True).returncode == 0
    (repo / "specs" / "broken.yaml").write_text("name: broken\nbase: {model: {widht: 64}}\n")
    git("add", ".")
    refused = git("commit", "-q", "-m", "broken spec")
    assert refused.returncode != 0
    assert "specs/broken.yaml:2:16: base.model.widht: unknown key 'widht'" in \
        refused.stdout + refused.stderr
    (repo / "specs" / "broken.yaml").write_text("name: fixed\nbase: {model: {width: 64}}\n")
    git("add", ".")
    accepted = git("commit", "-q", "-m", "fixed spec")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
