"""`claimlab schema`: the JSON Schema of specs (or fragments), for editors and CI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from claimlab.problems import UserError
from compiler.language.json_schema import spec_schema


def schema_text(fragment: bool) -> str:
    return json.dumps(spec_schema(fragment), indent=2, sort_keys=True) + "\n"


def schema_command(args: argparse.Namespace) -> int:
    text = schema_text(args.fragment)
    if args.out is None:
        print(text, end="")
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {args.out}: {error.strerror}") from None
    print(f"wrote {args.out}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "schema", help="write the JSON Schema of spec files",
        description="Write the JSON Schema of spec files (or, with --fragment, of the "
                    "fragments specs extend). Editors with the YAML language server validate "
                    "and complete a spec whose first line is "
                    "`# yaml-language-server: $schema=PATH`.")
    p.add_argument("--fragment", action="store_true",
                   help="the schema of a fragment, in which no key is required")
    p.add_argument("-o", "--out", type=Path, metavar="FILE", help="write to FILE, not stdout")
    p.set_defaults(handler=schema_command)
    return p
