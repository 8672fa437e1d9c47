"""The lower bound: the refresh's core work written by hand in ONE DuckDB process (no Dagster, no dbt), as fast as
plain DuckDB does it (issue 21): `read_csv` on the three SDMX-TSV files, `UNPIVOT`, value and flag split with
string functions, one `CREATE TABLE AS` per table, no Python row loops.

    python -m benchmarks.lower_bound --snapshot-dir DIR --db FILE [--compare PUBLISHED_VERSION]

Same files and the same harmonisation SQL as the dbt models on the observations path (stg_eurostat__*,
int_perception_indicators_summed, int_perception_block_checks, int_police_recorded_*, int_geographies_*,
fct_observations for the Eurostat sources), the reader's checks done by the casts themselves (a cell that is not
a number or `:` fails the `CAST`, a key with too few parts fails the list index), the uniqueness test of
fct_observations, and the publish step as the product does it now: the table written to one Parquet file. It
leaves out what does not grow with the data (ONS files, seeds other than the ones joined, reports) and the marts
built on top of fct_observations, so it is a floor, not a replacement.

`--compare` checks that the bound produces the same observations as the product: every Eurostat observation of
the given published version (its observation id and value) and none more. Prints one JSON object: seconds per
phase, row counts and (with --compare) the differences, which must be 0.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"
SDMX = {
    "urb_percep": "eurostat/urb_percep.tsv",
    "crim_off_cat": "eurostat/crim_off_cat.tsv",
    "crim_gen_reg": "eurostat/crim_gen_reg.tsv",
}


def _header(path: Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8") as fh:
        cells = fh.readline().rstrip("\r\n").split("\t")
    dims = [d.strip().lower() for d in cells[0].split("\\")[0].split(",")]
    return dims, [c.strip() for c in cells[1:]]


def parse_sdmx(conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> int:
    """One CREATE TABLE AS: read the file, unpivot the period columns, split key, value and flag."""
    dims, periods = _header(path)
    columns = {"series_key": "VARCHAR", **{period: "VARCHAR" for period in periods}}
    dim_select = ", ".join(f"trim(parts[{i + 1}]) as {d}" for i, d in enumerate(dims))
    conn.execute(
        f"""create or replace table {table} as
            with long as (
                unpivot (select * from read_csv(?, delim='\t', header=false, skip=1, columns=?, quote='',
                         escape='', strict_mode=true, null_padding=false, auto_detect=false))
                on columns(* exclude (series_key)) into name time_period value cell),
            split as (
                select trim(series_key) as series_key, string_split(trim(series_key), ',') as parts, time_period,
                       string_split(trim(cell), ' ') as cell_parts
                from long)
            select {dim_select}, time_period,
                   cast(nullif(cell_parts[1], ':') as double) as value,
                   nullif(cell_parts[2], '') as flag, series_key, 1 as load_id
            from split
            where (cell_parts[1] <> ':' or cell_parts[2] is not null)
              and (len(parts) = {len(dims)} or error('a series key without {len(dims)} parts: ' || series_key))""",
        [str(path), columns],
    )
    return conn.execute(f"select count(*) from {table}").fetchall()[0][0]


def harmonise(conn: duckdb.DuckDBPyConnection, snapshot: Path) -> int:
    seed = lambda name: f"read_csv('{(SEEDS / name).as_posix()}', header=true, all_varchar=true)"  # noqa: E731
    geo = lambda name: f"read_json('{(snapshot / 'geo' / name).as_posix()}', maximum_object_size=1000000000)"  # noqa: E731
    conn.execute(
        f"""create or replace table gisco_cities as
            select URAU_CODE as geo_code, URAU_NAME as geo_name, CNTR_CODE as country_code,
                   NUTS3_2021 as nuts3_code, URAU_CATG as urau_catg
            from {geo("URAU_LB_2021_4326_CITIES.geojson")}"""
    )
    conn.execute(
        f"""create or replace table gisco_nuts as
            select NUTS_ID as geo_code, LEVL_CODE::int as nuts_level from {geo("NUTS_LB_2021_4326.geojson")}"""
    )
    conn.execute(
        f"""
        create or replace table fct_observations as
        with mapping as (
            select indicator_code, indic_ur as source_code, 'PC' as source_unit
            from {seed("perception_question_blocks.csv")} where is_numerator = 'true'),
        expected as (select indicator_code, count(*) as component_count from mapping group by indicator_code),
        percep as (
            select indic_ur as source_code, unit as source_unit, cities as geo_code, time_period as period,
                   try_cast(left(time_period, 4) as integer) as period_year, value, flag, series_key, load_id
            from urb_percep),
        components as (
            select mapping.indicator_code, p.geo_code, p.period, p.period_year, p.value, p.flag, p.series_key,
                   p.load_id
            from percep p join mapping on p.source_code = mapping.source_code and p.source_unit = mapping.source_unit),
        summed as (
            select c.indicator_code, c.geo_code, c.period, c.period_year, round(sum(c.value), 6) as value,
                nullif(array_to_string(list_sort(list_distinct(flatten(list(
                    string_split(coalesce(c.flag, ''), ''))))), ''), '') as flags,
                string_agg(c.series_key, '+' order by c.series_key) as series_keys, max(c.load_id) as load_id
            from components c join expected e on c.indicator_code = e.indicator_code
            group by c.indicator_code, c.geo_code, c.period, c.period_year
            having count(c.value) = max(e.component_count)),
        blocks as (
            select b.question_code, b.indicator_code, p.geo_code, p.period,
                   count(*) = 5 and abs(sum(p.value) - 100) > 2 as has_sum_anomaly,
                   round(sum(p.value), 6) as block_sum
            from percep p join {seed("perception_question_blocks.csv")} b on p.source_code = b.indic_ur
            where p.value is not null group by all),
        warnings as (
            select indicator_code, geo_code, period,
                   'answers for this question sum to ' || block_sum || ' (expected 100 +/- 2)' as quality_note
            from blocks where has_sum_anomaly),
        perception as (
            select s.indicator_code, s.geo_code, s.period, s.period_year, s.value, s.flags,
                   'survey' as source_type, 'urb_percep' as source_dataset, 'urb_percep' as survey_id,
                   'urb_percep:' || s.indicator_code as comparability_group,
                   'urb_percep/load-' || s.load_id || '/' || s.series_keys || '/' || s.period as lineage_id,
                   w.quality_note
            from summed s left join warnings w using (indicator_code, geo_code, period)),
        offences as (
            select 'crim_off_cat' as source_dataset, iccs as iccs_code, unit as source_unit, geo as geo_code,
                   time_period as period, try_cast(left(time_period, 4) as integer) as period_year, value, flag,
                   series_key, load_id from crim_off_cat
            union all
            select 'crim_gen_reg', iccs, unit, geo, time_period, try_cast(left(time_period, 4) as integer),
                   value, flag, series_key, load_id from crim_gen_reg),
        police as (
            select m.indicator_code, o.geo_code, o.period, o.period_year, o.value, o.flag as flags,
                   'eurostat' as source_type, o.source_dataset,
                   o.source_dataset || ':' || case when o.geo_code like 'UKM%' then 'UKM'
                        when o.geo_code like 'UKN%' then 'UKN' when o.geo_code like 'UK_%' then 'UKC-L'
                        else left(o.geo_code, 2) end as comparability_group,
                   o.source_dataset || '/load-' || o.load_id || '/' || o.series_key || '/' || o.period as lineage_id
            from offences o join {seed("indicator_source_map.csv")} m
              on o.source_dataset = m.source_dataset and o.iccs_code = m.source_code and o.source_unit = m.source_unit
            where o.value is not null),
        stacked as (select * from perception union all by name select * from police),
        flag_meanings as (
            select s.lineage_id, bool_or(f.is_break_in_series::boolean) as break_in_series,
                   bool_or(f.is_quality_warning::boolean) as flag_warning
            from stacked s join {seed("flags.csv")} f on contains(coalesce(s.flags, ''), f.flag)
            group by s.lineage_id),
        registry as (select * from {seed("survey_registry.csv")}),
        with_registry as (
            select s.*, r.sample_size::int as sample_size, r.design_effect::double as design_effect,
                   r.is_sample_size_approximate::boolean as is_sample_size_approximate,
                   case when left(i.unit, 1) = '%' then r.sample_size::int end as proportion_sample_size
            from stacked s
            left join registry r on s.survey_id = r.survey_id and s.indicator_code = r.indicator_code
                 and (r.wave = s.period or r.wave = '*')
            left join {seed("indicators.csv")} i on s.indicator_code = i.indicator_code),
        registered as (
            select geo_code, 'city' as geo_level from gisco_cities where urau_catg = 'C'
            union all
            select geo_code, case nuts_level when 0 then 'country' when 1 then 'nuts1' when 2 then 'nuts2'
                             else 'nuts3' end from gisco_nuts),
        observed as (
            select distinct geo_code, 'city' as geo_level, 1 as preference from percep
            union
            select distinct geo_code, case when geo_code like 'EU%' or geo_code like 'EA%' then 'eu'
                when length(geo_code) = 2 then 'country' when length(geo_code) = 3 then 'nuts1'
                when length(geo_code) = 4 then 'nuts2' else 'nuts3' end, 2 from offences),
        geographies as (
            select geo_code, geo_level from registered
            union all
            select geo_code, geo_level from observed
            where geo_code not in (select geo_code from registered)
            qualify row_number() over (partition by geo_code order by preference) = 1)
        select
            md5(concat_ws('|', o.indicator_code, o.geo_code, o.period, '', '', '', o.source_dataset,
                o.comparability_group)) as observation_id,
            o.indicator_code, o.geo_code, g.geo_level, o.period, o.period_year, o.value, i.unit,
            round(case when o.proportion_sample_size > 0 and o.value between 0 and 100 then 100.0 * (
                ((o.value / 100.0) + 1.959963984540054 ^ 2 / (2 * o.proportion_sample_size))
                - 1.959963984540054 * sqrt((o.value / 100.0) * (1 - o.value / 100.0) / o.proportion_sample_size
                  + 1.959963984540054 ^ 2 / (4 * o.proportion_sample_size ^ 2)))
                / (1 + 1.959963984540054 ^ 2 / o.proportion_sample_size) end, 4) as ci_low,
            cast(o.sample_size as bigint) as sample_size,
            o.flags, o.source_type, o.source_dataset, o.survey_id, o.comparability_group,
            coalesce(fm.break_in_series, false) as break_in_series,
            o.quality_note is not null or coalesce(fm.flag_warning, false) as has_quality_warning,
            o.quality_note, o.lineage_id
        from with_registry o
        join {seed("indicators.csv")} i on o.indicator_code = i.indicator_code
        left join geographies g on o.geo_code = g.geo_code
        left join flag_meanings fm on o.lineage_id = fm.lineage_id
        """
    )
    duplicates = conn.execute(
        "select count(*) from (select observation_id from fct_observations group by 1 having count(*) > 1)"
    ).fetchall()[0][0]
    if duplicates:
        raise SystemExit(f"lower_bound: {duplicates} duplicate observation ids")
    return conn.execute("select count(*) from fct_observations").fetchall()[0][0]


def compare(conn: duckdb.DuckDBPyConnection, version: Path) -> dict:
    """Observations of the bound missing from the product's published version, and the other way round (Eurostat
    sources only: the bound leaves out ONS files and city uploads)."""
    from pipelines.versions.store import open_version

    with open_version(version) as published:
        product = published.sql(
            "select observation_id, value from fct_observations "
            "where source_dataset in ('urb_percep', 'crim_off_cat', 'crim_gen_reg')"
        ).to_arrow_table()
    conn.register("product", product)
    only_bound, only_product = conn.execute(
        """select (select count(*) from (select observation_id, value from fct_observations
                                         except all select observation_id, value from product)),
                  (select count(*) from (select observation_id, value from product
                                         except all select observation_id, value from fct_observations))"""
    ).fetchall()[0]
    conn.unregister("product")
    return {"only_in_bound": only_bound, "only_in_product": only_product, "product_rows": product.num_rows}


def run(snapshot: Path, db: Path, version: Path | None = None) -> dict:
    published = db.with_name(db.name + ".fct_observations.parquet")
    for path in (db, published):
        path.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    rows: dict[str, int] = {}
    t0 = time.perf_counter()
    conn = duckdb.connect(str(db))
    for table, relative in SDMX.items():
        rows[table] = parse_sdmx(conn, snapshot / relative, table)
    timings["parse_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    rows["fct_observations"] = harmonise(conn, snapshot)
    conn.execute("checkpoint")
    timings["harmonise_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    conn.execute(f"copy fct_observations to '{published.as_posix()}' (format parquet)")
    timings["publish_s"] = time.perf_counter() - t2
    timings["total_s"] = time.perf_counter() - t0
    result = {"seconds": {k: round(v, 3) for k, v in timings.items()}, "rows": rows}
    if version is not None:
        result["compare"] = compare(conn, version)
    conn.close()
    for path in (db, published):
        path.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Raw-DuckDB lower bound of the refresh (one process).")
    parser.add_argument("--snapshot-dir", required=True)
    parser.add_argument("--db", required=True, help="scratch DuckDB file (deleted afterwards)")
    parser.add_argument("--compare", help="a published version (.duckdb) of the same snapshot to compare with")
    args = parser.parse_args(argv)
    result = run(Path(args.snapshot_dir), Path(args.db), Path(args.compare) if args.compare else None)
    print(json.dumps(result))
    differ = result.get("compare", {})
    return 1 if differ.get("only_in_bound") or differ.get("only_in_product") else 0


if __name__ == "__main__":
    raise SystemExit(main())
