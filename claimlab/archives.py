"""Where a spec's committed results archive lives: `<spec's folder>/results/<spec name>.tar.xz`
(with profiles, `<spec name>+<profile>...tar.xz`), so specs and their results travel together
in a pull request and a clean clone reports without training."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

SUFFIX = ".tar.xz"


def spec_archive(spec_file: Path, spec_name: str, profiles: Sequence[str] = ()) -> Path:
    return spec_file.parent / "results" / ("+".join([spec_name, *profiles]) + SUFFIX)
