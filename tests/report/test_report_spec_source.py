"""The claim's lines in its spec file, quoted on its page."""

from compiler.language.spec import Claim
from report.site.spec_source import claim_excerpt

SOURCE = """\
name: demo
claims:
  # The muP claim.
  - id: first
    statement: >-
      Under muP the best learning rate
      does not move.
    check: {kind: monotone, metric: final.val_loss, along: model.width,
            direction: decreasing}   # wider is better

  - id: second
    statement: s
    check: {kind: monotone, metric: final.val_loss, along: model.width, direction: increasing}
"""


def claim(claim_id: str) -> Claim:
    return Claim.model_validate({"id": claim_id, "statement": "s", "check": {
        "kind": "monotone", "metric": "final.val_loss", "along": "model.width",
        "direction": "decreasing"}})


def test_an_excerpt_is_the_claims_own_lines_comments_included():
    first = claim_excerpt(SOURCE, claim("first"))
    assert (first.first_line, first.last_line) == (4, 9)
    assert first.text.splitlines()[0] == "  - id: first"
    assert first.text.endswith("direction: decreasing}   # wider is better")
    second = claim_excerpt(SOURCE, claim("second"))
    assert (second.first_line, second.last_line) == (11, 13)


def test_a_claim_not_in_the_file_is_shown_as_resolved():
    excerpt = claim_excerpt("name: demo\nextends: base.yaml\n", claim("first"))
    assert excerpt.first_line is None and excerpt.last_line is None
    assert "id: first" in excerpt.text and "kind: monotone" in excerpt.text
    assert claim_excerpt("claims: [unclosed", claim("first")).first_line is None
