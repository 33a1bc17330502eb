"""Where a claim is written in its spec file: the lines to quote on the claim's page, so a
reader sees the check exactly as the spec's author wrote it (comments included) and can
jump to it in the whole file."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from compiler.language.spec import Claim


@dataclass(frozen=True)
class Excerpt:
    text: str
    first_line: int | None      # its first line in the spec file; None when the claim comes
                                # from elsewhere (a fragment the spec extends): `text` is
                                # then the claim as the spec resolved it

    @property
    def last_line(self) -> int | None:
        if self.first_line is None:
            return None
        return self.first_line + len(self.text.splitlines()) - 1


def claim_excerpt(source: str, claim: Claim) -> Excerpt:
    lines = _claim_lines(source, claim.id)
    if lines is None:
        resolved = yaml.safe_dump(claim.model_dump(mode="json"), sort_keys=False)
        return Excerpt(text=resolved, first_line=None)
    first, last = lines
    return Excerpt(text="\n".join(source.splitlines()[first - 1:last]), first_line=first)


def _claim_lines(source: str, claim_id: str) -> tuple[int, int] | None:
    """First and last line (1-based) of the claim with `claim_id` in the spec's `claims`."""
    try:
        root = yaml.compose(source)
    except yaml.YAMLError:
        return None
    claims = _value(root, "claims")
    if not isinstance(claims, yaml.SequenceNode):
        return None
    for item in claims.value:
        found = _value(item, "id")
        if isinstance(found, yaml.ScalarNode) and found.value == claim_id:
            # A block item ends where the next one starts: its last line is the last one
            # with text before that.
            last = source[:item.end_mark.index].rstrip().count("\n") + 1
            return item.start_mark.line + 1, last
    return None


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for k, value in node.value
                 if isinstance(k, yaml.ScalarNode) and k.value == key), None)
