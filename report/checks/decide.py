"""Deciding one comparison against the seed-to-seed noise, and many into a verdict.

Each point of a check reduces to an `excess`: how far the measured effect is past what the
claim needs (positive: the claim holds there). With seeds, an excess within `sigmas`
standard errors of zero decides nothing; with one seed the error is 0 and the sign decides.
"""

from __future__ import annotations

from typing import Literal

from report.checks.verdict import Verdict

Decision = Literal["holds", "fails", "unclear"]


def decide(excess: float, error: float, sigmas: float) -> Decision:
    if excess > sigmas * error:
        return "holds"
    if excess < -sigmas * error:
        return "fails"
    return "unclear"


def verdict_of(decisions: list[Decision], blockers: list[str]) -> Verdict:
    """Supported when every point holds; not supported when any clearly fails, even while
    others are unknown; inconclusive when there are blockers (runs missing, too few
    points), no points, or points within the noise."""
    if "fails" in decisions:
        return "not supported"
    if blockers or not decisions or "unclear" in decisions:
        return "inconclusive"
    return "supported"


def noise_numbers(noise: float | None, sigmas: float,
                  paired: bool = False) -> dict[str, float | str]:
    label = "std of the per-seed differences" if paired else "seed-to-seed noise (std)"
    if noise is None:
        return {label: "one seed: not measured"}
    return {label: noise, "standard errors a gap must clear": sigmas}


def within_noise(noise: float | None, sigmas: float, paired: bool = False) -> str:
    """How close counts as undecided, in words."""
    if noise is None:
        return "0 (one seed, no noise measured)"
    spread = "std of the per-seed differences" if paired else "seed-to-seed std"
    return f"{sigmas:g} standard errors ({spread} {noise:.3g})"
