"""The marts made for the dashboard's speed (dbt_project/models/marts/dashboard/) change no number: every query
of dashboards/queries.py answers the same on the published version of a real refresh and on a copy of it without
those marts (a version published before them, which the queries read through fct_observations instead). And the
one read-only connection kept per published file never outlives what a page may still read."""

from __future__ import annotations

import inspect
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.fixtures.versions import TABLES_SQL, copy_version, derived_copy, editable

pytestmark = pytest.mark.integration


def _selections(published_db) -> list[dict]:
    """Selections a user can make on the real snapshot: the perception survey (cities, ranks, comparisons), a
    police-recorded rate (NUTS 3 map, regional context) and the cities with the most values or submissions."""
    survey = published_db.execute(
        "select indicator_code, period from city_latest_values group by all order by count(*) desc, 1, 2 limit 1"
    ).fetchall()[0]
    police = published_db.execute(
        "select indicator_code, period from fct_observations where source_dataset = 'crim_gen_reg' "
        "and geo_level = 'nuts3' group by all order by count(*) desc, 1, 2 limit 1"
    ).fetchall()[0]
    busiest = [
        code
        for (code,) in published_db.execute(
            "select geo_code from fct_observations where geo_level = 'city' "
            "group by 1 order by count(*) desc, 1 limit 2"
        ).fetchall()
    ]
    cities = [*busiest, "LV001C", "UK001C"]
    return [
        {
            "indicator_code": indicator,
            "period": period,
            "geo_code": city,
            "geo_codes": (city, cities[(i + 1) % len(cities)]),
            "peer_group": peer,
            "geo_level": level,
            "nuts_level": nuts,
            # progress, cycles, perception vs recorded crime (issue 19): read from their own marts
            "name": "city_progress",
            "comparability_group": f"urb_percep:{indicator}",
            "method": "survey_change_95",
            "from_period": "2012",
            "to_period": "2015",
            "perception_indicator": "feel_safe_night_neighbourhood",
            "perception_period": "2019",
            "police_indicator": "robbery_rate",
            "geo_levels": ("nuts3", "nuts2", "nuts1"),
            "source_dataset": "crim_off_cat" if i % 2 else "crim_gen_reg",
            "city": city,
            "country": city[:2],  # the police view's regions of one country
        }
        for i, ((indicator, period), city, peer, level, nuts) in enumerate(
            [
                (survey, cities[0], "all", "nuts3", 3),
                (police, cities[1], "partnership", "nuts3", 0),
                (survey, cities[2], "all", "country", 3),
                (police, cities[3], "all", "nuts2", 3),
            ]
        )
    ]


def _same(left, right) -> bool:
    if isinstance(left, dict):  # city_profile: a frame per part of the page; health_report: texts
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    if not isinstance(left, pd.DataFrame):
        return left == right
    return left.equals(right) and list(left.dtypes) == list(right.dtypes)


def test_every_query_answers_the_same_with_and_without_the_dashboard_marts(refreshed_data_dir, published_db, tmp_path):
    from dashboards import queries

    path = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    tables = {name for (name,) in published_db.execute(TABLES_SQL).fetchall()}
    assert set(queries._MART_FALLBACKS) <= tables  # the fast path is what is compared
    before = tmp_path / "published_before_the_marts.duckdb"
    with derived_copy(path, before) as conn:
        for mart in queries._MART_FALLBACKS:
            conn.execute(f"drop view {mart}")  # the version reads its table file through a view (ADR 0024)
    with_marts = queries.Published(version=path.stem, path=str(path))
    without = queries.Published(version="before-the-marts", path=str(before))

    compared = 0
    for name, function in inspect.getmembers(queries, inspect.isfunction):
        if name.startswith("_") or function.__module__ != queries.__name__ or name == "current_published":
            continue
        if name == "all_observations":  # the bulk download reads fct_observations itself
            continue
        params = [p for p in inspect.signature(function).parameters if p != "published"]
        for selection in _selections(published_db)[: 4 if params else 1]:
            args = [selection[p] for p in params]
            fast, slow = function(with_marts, *args), function(without, *args)
            assert _same(fast, slow), f"{name}{tuple(args)} differs without the dashboard marts"
            compared += 1
    assert compared > 60
    # the selections are not empty ones: the marts' rows are on the screen
    selection = _selections(published_db)[0]
    assert len(queries.city_values(with_marts, selection["indicator_code"], selection["period"])) > 50
    assert len(queries.city_profile_police_context(with_marts, "LV001C")) > 0
    assert (queries.indicators(with_marts)["observations"] > 0).sum() >= 10


def test_a_version_pruned_while_a_page_reads_it_stays_readable_and_new_versions_are_opened(
    refreshed_data_dir, tmp_path
):
    from dashboards import queries

    path = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    copies = []
    for i in range(queries._OPEN_VERSIONS + 1):
        copy = copy_version(path, tmp_path / f"2026010{i}T000000000000Z.duckdb")
        copies.append(queries.Published(version=copy.stem, path=str(copy)))
    page = copies[0]
    rows = len(queries.city_values(page, "feel_safe_city", "2015"))
    assert rows > 50
    Path(page.path).unlink()  # pruned by a publish while the page runs
    assert len(queries.city_values(page, "feel_safe_city", "2015")) == rows
    for newer in copies[1:]:  # later publications: each is opened, the oldest connection is let go
        assert len(queries.city_values(newer, "feel_safe_city", "2015")) == rows
    assert not any(key[0] == page.path for key in queries._connections)
    assert len([key for key in queries._connections if key[0].startswith(str(tmp_path))]) == queries._OPEN_VERSIONS
    with pytest.raises(duckdb.Error):  # gone and no longer open: an error, never another version's rows
        queries.city_values(page, "feel_safe_city", "2015")


def test_a_version_published_before_display_names_is_read_with_its_codes_as_names(
    refreshed_data_dir, published_db, tmp_path
):
    """dim_geographies gained display_name and is_named: a version published before them (after a rollback) is read
    through a select that derives them, so every page still works; places without a name show their code."""
    from dashboards import queries

    path = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    before = tmp_path / "published_before_display_names.duckdb"
    with derived_copy(path, before) as conn:
        editable(conn, "dim_geographies")
        conn.execute("alter table dim_geographies drop column display_name")
        conn.execute("alter table dim_geographies drop column is_named")
    old = queries.Published(version="before-display-names", path=str(before))
    new = queries.Published(version=path.stem, path=str(path))
    then, now = (queries.city_values(v, "feel_safe_city", "2015").set_index("geo_code") for v in (old, new))
    assert then.index.equals(now.index) and then["value"].equals(now["value"])
    assert then.loc["LV002C", "city"] == "LV002C" and not then.loc["LV002C", "is_named"]
    assert now.loc["LV002C", "city"] == "Latvian state city, LV002C — name not in the snapshot"
    assert then.loc["LV001C", "city"] == now.loc["LV001C", "city"] == "Riga"
    for name in ("city_directory", "city_profile_cities", "coverage_matrix", "geographies_without_geometry"):
        assert len(getattr(queries, name)(old)) == len(getattr(queries, name)(new)), name


def test_a_version_published_before_totals_by_level_reads_them_from_the_observations(
    refreshed_data_dir, published_db, tmp_path
):
    """indicator_period_counts gained totals_by_level (the police view's periods, countries and levels): a version
    published before it (after a rollback) is read through a select that computes it from fct_observations."""
    from dashboards import queries

    path = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    before = tmp_path / "published_before_totals_by_level.duckdb"
    with derived_copy(path, before) as conn:
        editable(conn, "indicator_period_counts")
        conn.execute("alter table indicator_period_counts drop column totals_by_level")
    old = queries.Published(version="before-totals-by-level", path=str(before))
    new = queries.Published(version=path.stem, path=str(path))
    levels = ("nuts3", "nuts2", "nuts1")
    periods = queries.area_periods(new, "robbery_rate", levels)
    assert len(periods) >= 5 and periods == queries.area_periods(old, "robbery_rate", levels)
    counts = queries.region_countries(new, "robbery_rate", periods[0], levels)
    assert len(counts) >= 20 and counts.equals(queries.region_countries(old, "robbery_rate", periods[0], levels))
    # what the mart holds is what the observations say, level by level
    direct = published_db.execute(
        "select count(*) from fct_observations where indicator_code = 'robbery_rate' and period = ? "
        "and geo_level = 'nuts3' and sex is null and age_group is null and breakdown is null",
        [periods[0]],
    ).fetchone()[0]
    assert counts.loc[counts["geo_level"] == "nuts3", "regions"].sum() == direct
    assert queries.periods_for(old, "robbery_rate") == queries.periods_for(new, "robbery_rate")


def test_regions_of_several_levels_in_one_query_are_those_of_each_level(refreshed_data_dir, published_db):
    """region_values_by_level (one scan for the police and regional-survey views) gives, per level, the rows and
    values region_values gives, in the same order (an all-empty column may hold NaN for None)."""
    from dashboards import queries

    path = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    published = queries.Published(version=path.stem, path=str(path))
    levels = ("country", "nuts1", "nuts2", "nuts3")
    compared = 0
    for selection in _selections(published_db):
        code, period = selection["indicator_code"], selection["period"]
        together = queries.region_values_by_level(published, code, period, levels)
        assert list(together) == list(levels)
        for level in levels:
            alone = queries.region_values(published, code, period, level)
            left = together[level].astype(object).where(together[level].notna(), None)
            right = alone.astype(object).where(alone.notna(), None)
            pd.testing.assert_frame_equal(left, right)
            compared += len(alone)
            # one country's regions (the police view), and the counts it chooses the country and level from
            counts = queries.region_countries(published, code, period, levels)
            for country in alone["country"].dropna().unique()[:3]:
                own = queries.region_values_by_level(published, code, period, levels, country)[level]
                expected = alone[alone["country"] == country].reset_index(drop=True)
                pd.testing.assert_frame_equal(
                    own.astype(object).where(own.notna(), None), expected.astype(object).where(expected.notna(), None)
                )
                counted = counts.loc[(counts["country"] == country) & (counts["geo_level"] == level), "regions"]
                assert counted.tolist() == [len(expected)]
    assert compared > 300  # the police rate's NUTS 3 regions and countries are among them
