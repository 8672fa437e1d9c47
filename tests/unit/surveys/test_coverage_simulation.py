"""Do the intervals mean what they say? A SYNTHETIC city population with known true shares and a cluster effect
(neighbours answer alike), 200 stratified two-stage samples drawn from it, and the 95 % logit intervals of
feel_safe_after_dark built exactly as for a city's upload: they must cover the true share in 91-99 % of samples
(a binomial 95 % band around 95 % for 200 draws is about 92-98 %)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.surveys.core import INDICATOR_BY_CODE
from pipelines.surveys.estimate import Design, estimate_indicators
from tests.fixtures.survey_microdata import draw_sample, make_population, true_share

SAMPLES = 200


def test_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time():
    population = make_population(seed=2024, strata=6, psus_per_stratum=100, mean_psu_size=60)
    truth = 100 * true_share(population, "feel_safe_after_dark")
    indicator = (INDICATOR_BY_CODE["feel_safe_after_dark"],)
    rng = np.random.default_rng(99)
    covered, naive, widths, deffs = 0, 0, [], []
    for _ in range(SAMPLES):
        sample = draw_sample(population, rng, psus=5, per_psu=12)
        rows = estimate_indicators(sample, Design(stratum=True, psu=True), "PL013C", "2026", indicator, ("total",))
        row = rows.row(0, named=True)
        covered += row["ci_low"] <= truth <= row["ci_high"]
        widths.append(row["ci_high"] - row["ci_low"])
        deffs.append(row["deff"])
        # The same weights without strata and PSUs: what an analysis ignoring the design would say.
        flat = estimate_indicators(sample, Design(), "PL013C", "2026", indicator, ("total",)).row(0, named=True)
        naive += flat["ci_low"] <= truth <= flat["ci_high"]
    coverage = covered / SAMPLES
    assert 0.91 <= coverage <= 0.99, coverage
    # The cluster effect is real (design effects above 1 on average) and intervals ignoring the design cover less
    # often: coverage within the band is not an accident of a design that does not matter.
    assert np.mean(deffs) > 1.2
    assert naive / SAMPLES < coverage
    assert 0 < np.mean(widths) < 20
    assert pl.Series(widths).n_unique() == SAMPLES
