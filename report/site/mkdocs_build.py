"""The mkdocs side of the report: which base config to use, and a strict programmatic build.

The base config is the one given, else ./mkdocs.yml when it exists, else the packaged
report/site/templates/mkdocs.yml (which the project's mkdocs.yml inherits). The report overrides
its docs_dir, site_dir, nav, strict and use_directory_urls (false, so the site works opened
from a folder) and appends its own stylesheet and scripts to extra_css / extra_javascript.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.utils.yaml import yaml_load

from report.errors import ReportError

DEFAULT_CONFIG = Path(__file__).parent / "templates" / "mkdocs.yml"


@dataclass(frozen=True)
class BaseConfig:
    path: Path
    raw: dict[str, Any]     # the file's own keys, INHERIT resolved

    @classmethod
    def find(cls, config_file: str | os.PathLike | None) -> BaseConfig:
        if config_file is not None and not Path(config_file).is_file():
            raise ReportError(f"site config {config_file} does not exist")
        if config_file is not None:
            path = Path(config_file)
        else:
            path = Path("mkdocs.yml") if Path("mkdocs.yml").is_file() else DEFAULT_CONFIG
        try:
            with path.open("rb") as f:
                return cls(path=path, raw=yaml_load(f))
        except MkDocsException as error:
            raise ReportError(f"{path}: {error.format_message()}") from None

    @property
    def docs_dir(self) -> Path | None:
        """The hand-written pages, when the config names a docs_dir."""
        if "docs_dir" not in self.raw:
            return None
        docs = (self.path.parent / self.raw["docs_dir"]).resolve()
        if not docs.is_dir():
            raise ReportError(f"{self.path}: docs_dir {self.raw['docs_dir']} is not a directory")
        return docs


def build_site(base: BaseConfig, *, docs: Path, site_dir: Path, nav: list[Any],
               extra_css: list[str], extra_javascript: list[str]) -> None:
    """Build `docs` into `site_dir` with mkdocs-material, strict: any warning is an error."""
    with _mkdocs_warnings() as warnings:
        try:
            config = load_config(
                str(base.path), docs_dir=str(docs), site_dir=str(site_dir), nav=nav,
                strict=True, use_directory_urls=False,
                extra_css=[*base.raw.get("extra_css", []), *extra_css],
                extra_javascript=[*base.raw.get("extra_javascript", []), *extra_javascript],
            )
            if config.theme.name != "material":
                raise ReportError(f"{base.path}: the report needs the theme mkdocs-material "
                                  f"(name: material), not {config.theme.name}")
            build(config)
        except MkDocsException as error:
            details = "".join(f"\n  {warning}" for warning in warnings)
            raise ReportError(f"building the site failed: {error.format_message()}{details}") \
                from None


def check_site_dir(site_dir: Path, marker: str) -> None:
    """The site directory is replaced: refuse one that holds anything but a site built
    before (recognised by `marker`, a path inside it)."""
    if not site_dir.is_dir() or (site_dir / marker).is_file():
        return
    if any(not entry.name.startswith(".") for entry in site_dir.iterdir()):
        raise ReportError(f"{site_dir} is not empty and holds no report built before; "
                          "choose an empty or new directory for the site")


@contextmanager
def replacing(site_dir: Path) -> Iterator[Path]:
    """A new directory beside `site_dir` to build into; once the build succeeds it takes
    `site_dir`'s place, so a failed build leaves the site built before as it was, and a
    reader (or --serve) sees the old site or the new one, never half of one."""
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-new-", dir=site_dir.parent))
    new.chmod(0o755)        # mkdtemp makes it private; a site is for reading
    try:
        yield new
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    old = site_dir.with_name(f".{site_dir.name}-old-{new.name.rsplit('-', 1)[-1]}")
    if site_dir.exists():
        site_dir.rename(old)
    new.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _mkdocs_warnings() -> Iterator[list[str]]:
    """Collect what mkdocs warns about, to explain a strict-mode failure."""
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield warnings
    finally:
        logger.removeHandler(handler)
