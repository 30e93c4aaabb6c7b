"""Summarise the study like the paper's Table 3: MOS per condition and the preference rate.

MOS is the mean of all 1–5 ratings a condition received, with a two-sided 95 % confidence
interval ``mean ± t(0.975, n − 1) · s / √n`` (Student's t, ``s`` the sample standard deviation).
The t quantile comes from a table for 1–30 degrees of freedom and from the Cornish–Fisher
expansion beyond (error below 1e-6 there). Ratings are treated as independent, as is usual for
a MOS, although each participant gives several. The preference rate is the share of votes that
preferred the reconstruction, with a 95 % Wilson score interval.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, astuple, dataclass, fields
from pathlib import Path

from ldr2hdr.fs import write_files_atomically
from ldr2hdr.study.storage import CONDITIONS, Vote

CONFIDENCE = 0.95
T_975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
    2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
    2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
    2.048407, 2.045230, 2.042272,
)  # fmt: skip
"""Student's t 0.975 quantile for 1, 2, …, 30 degrees of freedom (six decimals)."""

Z_975 = statistics.NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
CONDITION_LABELS = {"input": "LDR input", "reconstruction": "reconstruction"}
PERCENT = 100
MIN_FOR_SPREAD = 2
"""A standard deviation, hence a confidence interval, needs at least two ratings."""


def t_quantile_975(degrees_of_freedom: int) -> float:
    """Student's t 0.975 quantile (the 95 % two-sided critical value) for ``df ≥ 1``."""
    if not isinstance(degrees_of_freedom, int) or degrees_of_freedom < 1:
        raise ValueError(f"degrees of freedom must be an integer ≥ 1, got {degrees_of_freedom!r}")
    if degrees_of_freedom <= len(T_975):
        return T_975[degrees_of_freedom - 1]
    z, nu = Z_975, float(degrees_of_freedom)  # Cornish–Fisher expansion in 1/ν
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(term / nu**power for power, term in enumerate(terms, start=1))


@dataclass(frozen=True)
class ConditionScore:
    """MOS of one condition: ``n`` ratings, their mean and its 95 % confidence interval."""

    condition: str
    n: int
    mos: float
    low: float
    high: float


@dataclass(frozen=True)
class StudySummary:
    participants: int
    photos: int
    scores: tuple[ConditionScore, ...]
    preferred_reconstruction: int
    votes: int
    preference_low: float
    preference_high: float


def mean_with_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high) with the 95 % t interval; NaN where it is undefined (n < 1, n < 2)."""
    if not values:
        return math.nan, math.nan, math.nan
    mean = statistics.fmean(values)
    if len(values) < MIN_FOR_SPREAD:
        return mean, math.nan, math.nan
    half = t_quantile_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def wilson_interval(successes: int, total: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion; (NaN, NaN) for ``total == 0``."""
    if total == 0:
        return math.nan, math.nan
    p, z2 = successes / total, Z_975**2
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = Z_975 * math.sqrt(p * (1 - p) / total + z2 / (4 * total**2)) / (1 + z2 / total)
    return centre - half, centre + half


def summarise(votes: Sequence[Vote]) -> StudySummary:
    """MOS per condition and the preference rate of a list of votes."""
    scores = []
    for condition in CONDITIONS:
        ratings = [getattr(vote, f"rating_{condition}") for vote in votes]
        scores.append(ConditionScore(condition, len(ratings), *mean_with_ci(ratings)))
    preferred = sum(vote.preferred == "reconstruction" for vote in votes)
    preference_low, preference_high = wilson_interval(preferred, len(votes))
    return StudySummary(
        participants=len({vote.participant for vote in votes}),
        photos=len({vote.photo for vote in votes}),
        scores=tuple(scores),
        preferred_reconstruction=preferred,
        votes=len(votes),
        preference_low=preference_low,
        preference_high=preference_high,
    )


def summary_json(summary: StudySummary) -> dict:
    """The summary as JSON-ready data (undefined numbers, NaN, become None)."""

    def clean(value):
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(item) for item in value]
        return value

    return clean(asdict(summary))


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def format_report(summary: StudySummary) -> str:
    """A plain-text table like the paper's Table 3."""
    lines = [
        f"Blind user study: {summary.participants} participants, {summary.votes} votes "
        f"on {summary.photos} photos",
        "",
        f"{'condition':<16} {'ratings':>7} {'MOS':>5}  95% CI (t)",
    ]
    for score in summary.scores:
        lines.append(
            f"{CONDITION_LABELS[score.condition]:<16} {score.n:>7} {_number(score.mos):>5}  "
            f"[{_number(score.low)}, {_number(score.high)}]"
        )
    if summary.votes:
        rate = summary.preferred_reconstruction / summary.votes * PERCENT
        lines.append(
            f"\npreferred the reconstruction: {summary.preferred_reconstruction} of "
            f"{summary.votes} votes = {rate:.1f} % (95% CI {summary.preference_low * PERCENT:.1f}"
            f"–{summary.preference_high * PERCENT:.1f} %, Wilson)"
        )
    else:
        lines.append("\nno votes yet")
    return "\n".join(lines)


def write_csv(path: str | Path, votes: Sequence[Vote], *, overwrite: bool = False) -> Path:
    """Write one CSV row per vote (columns: the fields of :class:`Vote`); atomic."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([field.name for field in fields(Vote)])
    writer.writerows(astuple(vote) for vote in votes)
    write_files_atomically({Path(path): buffer.getvalue().encode()}, overwrite=overwrite)
    return Path(path)
