"""Every SQL statement the dashboard runs, in one place, with parameters (never formatted values).

Reads only the current published version, read-only, through short-lived connections, so a refresh
can run (and publish) while analysts read.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.publish import current_version_path
from pipelines.settings import load_settings


@dataclass(frozen=True)
class Published:
    version: str
    path: str


def current_published() -> Published:
    path = current_version_path(load_settings().published_dir)
    return Published(version=path.stem, path=str(path))


def _query(published: Published, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(published.path, read_only=True) as conn:
        return conn.execute(sql, params or []).df()


def indicators(published: Published) -> pd.DataFrame:
    return _query(
        published,
        """
        select i.*, count(o.value) as observations
        from dim_indicators i left join fct_observations o using (indicator_code)
        group by all order by i.indicator_family, i.indicator_code""",
    )


def periods_for(published: Published, indicator_code: str) -> list[str]:
    frame = _query(
        published,
        "select distinct period from fct_observations where indicator_code = ? order by period desc",
        [indicator_code],
    )
    return frame["period"].tolist()


def city_values(published: Published, indicator_code: str, period: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select g.geo_name as city, o.geo_code, g.country_code as country, o.value, o.ci_low, o.ci_high,
               o.sample_size, o.uncertainty_method, o.is_ci_approximate, o.unit, o.flags,
               o.has_quality_warning, o.quality_note, o.source_dataset, o.period,
               g.is_partnership_city, g.size_class, o.comparability_group, o.lineage_id
        from fct_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and o.geo_level = 'city'
          and o.sex is null and o.age_group is null and o.breakdown is null
        order by o.value desc""",
        [indicator_code, period],
    )


def region_values(published: Published, indicator_code: str, period: str, geo_level: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select coalesce(g.geo_name, o.geo_code) as region, o.geo_code, g.country_code as country, o.value,
               o.unit, o.flags, o.observation_status, o.uncertainty_method, o.source_dataset, o.period,
               o.comparability_group, o.lineage_id
        from fct_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and o.geo_level = ?
          and o.sex is null and o.age_group is null and o.breakdown is null
        order by o.source_dataset, o.value desc""",
        [indicator_code, period, geo_level],
    )


def comparisons_with(published: Published, indicator_code: str, period: str, geo_code: str) -> pd.DataFrame:
    """Every other city of the 'all' peer group and whether it differs from `geo_code` at 95 %."""
    return _query(
        published,
        """
        select other_geo_code as geo_code, is_significant, difference, z_score
        from city_pairwise_comparisons
        where indicator_code = ? and period = ? and geo_code = ? and peer_group = 'all'""",
        [indicator_code, period, geo_code],
    )


def rank_interval(published: Published, indicator_code: str, period: str, geo_code: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select rank, rank_best, rank_worst, cities_in_group, indistinguishable_count, is_approximate
        from city_rank_intervals
        where indicator_code = ? and period = ? and geo_code = ? and peer_group = 'all'""",
        [indicator_code, period, geo_code],
    )


def reference_values(published: Published, indicator_code: str, period: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select r.geo_code, g.geo_name as city, r.value as city_value, r.reference_scope,
               coalesce(rg.geo_name, r.reference_geo_code) as reference_area, r.reference_period,
               r.reference_value, r.reference_indicator_code, r.note
        from city_reference_values r
        join dim_geographies g on g.geo_code = r.geo_code
        left join dim_geographies rg on rg.geo_code = r.reference_geo_code
        where r.indicator_code = ? and r.period = ?
        order by r.geo_code, r.reference_scope""",
        [indicator_code, period],
    )


def survey_registry(published: Published) -> pd.DataFrame:
    return _query(published, "select * from dim_survey_registry order by survey_id, wave, indicator_code")


def source_freshness(published: Published) -> pd.DataFrame:
    return _query(published, "select * from rpt_source_freshness order by source_dataset")


def block_anomalies(published: Published) -> pd.DataFrame:
    return _query(
        published,
        """
        select a.question_code, a.geo_code, g.geo_name as city, a.period, a.block_sum,
               array_to_string(a.answer_values, ' / ') as answers
        from rpt_perception_block_anomalies a left join dim_geographies g using (geo_code)
        order by a.period, a.geo_code""",
    )


def population_label_matches(published: Published) -> pd.DataFrame:
    return _query(published, "select * from rpt_population_label_matches order by is_matched, city_label")


def geographies_without_geometry(published: Published) -> pd.DataFrame:
    return _query(
        published,
        """
        select geo_code, geo_level, geo_name, name_confidence, register_note
        from dim_geographies where not has_geometry and geo_level = 'city' order by geo_code""",
    )
