"""The located YAML loader: plain data, a location for every key and value, located errors."""

from textwrap import dedent

import pytest

from compiler.language.errors import SpecError
from compiler.language.locations import Location
from compiler.language.yaml_source import load_yaml, read_yaml


def errors_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_yaml(dedent(text), "spec.yaml")
    return str(caught.value).splitlines()


def test_every_key_and_value_is_located():
    document = load_yaml(dedent("""\
        base:
          model: {width: 64}
        seeds:
          - 0
          - 1
        """), "spec.yaml")
    assert document.data == {"base": {"model": {"width": 64}}, "seeds": [0, 1]}
    source = document.source
    assert source.locate(("base", "model", "width"), at_key=True) == Location("spec.yaml", 2, 11)
    assert source.locate(("base", "model", "width")) == Location("spec.yaml", 2, 18)
    assert source.locate(("base", "model")) == Location("spec.yaml", 2, 10)
    assert source.locate(("seeds", 1)) == Location("spec.yaml", 5, 5)
    # A path the file does not have falls back to its nearest written ancestor.
    assert source.locate(("base", "model", "depth")) == Location("spec.yaml", 2, 10)


def test_scalars_read_the_json_way():
    data = load_yaml("lr: 1e-3\nbig: 2E5\nday: 2024-01-01\neq: =\nint: 12\nquoted: '1e-3'\n",
                     "spec.yaml").data
    assert data == {"lr": 0.001, "big": 200000.0, "day": "2024-01-01", "eq": "=", "int": 12,
                    "quoted": "1e-3"}


def test_only_true_and_false_are_booleans():
    data = load_yaml("a: true\nb: False\nc: yes\nd: off\ne: On\nf: n\n", "spec.yaml").data
    assert data == {"a": True, "b": False, "c": "yes", "d": "off", "e": "On", "f": "n"}


def test_keys_stay_the_names_they_look_like():
    data = load_yaml("1: a\non: b\nnull: c\n", "spec.yaml").data
    assert data == {"1": "a", "on": "b", "null": "c"}


def test_aliases_are_plain_copies():
    data = load_yaml("a: &lr 0.01\nb: *lr\n", "spec.yaml").data
    assert data == {"a": 0.01, "b": 0.01}


def test_duplicate_keys_are_reported_at_each_repeat():
    assert errors_of("""\
        model:
          width: 64
          width: 32
        model: {}
        """) == [
        "spec.yaml:3:3: model.width: duplicate key 'width' (first given at line 2)",
        "spec.yaml:4:1: model: duplicate key 'model' (first given at line 1)",
    ]


def test_only_core_tags_are_read():
    assert errors_of("""\
        a: !!python/object/apply:os.system ["echo hi"]
        b: !!binary aGk=
        c: !local 3
        d: !!int abc
        e: !!str 3
        """) == [
        "spec.yaml:1:4: a: unsupported YAML tag '!!python/object/apply:os.system': a spec holds "
        "only strings, numbers, booleans, null, lists and mappings",
        "spec.yaml:2:4: b: unsupported YAML tag '!!binary': a spec holds only strings, numbers, "
        "booleans, null, lists and mappings",
        "spec.yaml:3:4: c: unsupported YAML tag '!local': a spec holds only strings, numbers, "
        "booleans, null, lists and mappings",
        "spec.yaml:4:4: d: cannot read 'abc' as !!int",
    ]


def test_syntax_errors_are_located():
    assert errors_of("name: x\nbase:\n  model: {width: 1\n") == [
        "spec.yaml:4:1: invalid YAML: expected ',' or '}', but got '<stream end>' "
        "(while parsing a flow mapping at line 3)",
    ]
    assert errors_of("name: x\n\tbase: 1\n") == [
        "spec.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token",
    ]
    assert errors_of("name: x\n---\nname: y\n") == [
        "spec.yaml:2:1: invalid YAML: expected a single document in the stream, "
        "but found another document",
    ]
    assert errors_of("name: x\x07\n") == [
        "spec.yaml:1:8: invalid YAML: character U+0007 is not allowed",
    ]


def test_merge_keys_and_self_referencing_aliases_are_errors():
    assert errors_of("x: &x {a: 1}\n<<: *x\n") == [
        "spec.yaml:2:1: YAML merge keys ('<<') are not supported; write the keys out",
    ]
    assert errors_of("a: &a [*a]\n") == [
        "spec.yaml:1:4: a[0]: an alias refers to a collection that contains it",
    ]


def test_an_empty_file_is_null_at_its_start():
    document = load_yaml("# nothing yet\n", "spec.yaml")
    assert document.data is None
    assert document.source.locate(()) == Location("spec.yaml", 1, 1)


def test_unreadable_files_are_errors(tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(SpecError) as caught:
        read_yaml(missing)
    assert str(caught.value) == f"cannot read {missing}: No such file or directory"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: demo\npaper:\n  title: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        read_yaml(binary)
    assert str(caught.value) == (f"{binary}:3:13: not UTF-8 text: byte 0xe9 at offset 30 "
                                 "(line 3) is not part of a UTF-8 character")
