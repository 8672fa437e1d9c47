{#- Partial rebuilds of the two largest marts when only cities' own inputs changed (issue 21, docs/adr/0029-...).

    A refresh that loads nothing but city uploads (an inbox submission, a city survey, a public-space inventory or
    audit) runs dbt with the variable `sps_uploads_only` (pipelines/warehouse/dbt_assets.py, from the run's tag).
    A model configured with `partial_rebuild` then rebuilds only the rows a city's input can change:

        city_rows          the cities' own rows (`not is_official`)
        city_geographies   every row of a geography of a city that has sent data (sps_city_data_roots)

    The table materialization (macros/materializations/lean_table.sql) deletes those rows and inserts them again
    from the model's query, which `sps_partial_rebuild()` lets the model restrict to them. Every other refresh (a
    full one, any Eurostat or snapshot source changed, a run started by hand) rebuilds the whole table as before; so
    does a build that finds no table to update.

    The rows chosen must include every row a city's input can change (the full rebuild stays the source of truth:
    tests/integration/test_incremental_equals_full.py compares the two, table by table). -#}

{% macro sps_partial_predicate() -%}
  {%- set kind = config.get('partial_rebuild') -%}
  {%- if kind == 'city_rows' -%}
    not is_official
  {%- elif kind == 'city_geographies' -%}
    split_part(geo_code, ':', 1) in {{ sps_city_data_roots() }}
  {%- else -%}
    {{ exceptions.raise_compiler_error("partial_rebuild: unknown kind '" ~ kind ~ "' (city_rows, city_geographies)") }}
  {%- endif -%}
{%- endmacro %}

{% macro sps_partial_rebuild() -%}
  {#- True when this model's build rebuilds only its `partial_rebuild` rows (see above). -#}
  {%- if not execute or not var('sps_uploads_only', false) or not config.get('partial_rebuild') -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set existing = load_cached_relation(this) -%}
  {{ return(existing is not none and existing.is_table and not flags.FULL_REFRESH) }}
{%- endmacro %}

{% macro sps_city_data_roots() -%}
  {#- Every city that has ever sent data of its own: the code before any ':' of every geography in a city upload
      (values and targets), and the city of every city survey and public-space submission loaded. The raw tables
      behind these keep every submission (a withdrawal is a row of its own; raw.public_space_observations, which
      is replaced whole, is not used), so a city stays in this list once it has sent anything, and its rows are
      rebuilt even when its last input is withdrawn or replaced. A district (CITY:district) belongs to its city;
      city surveys and public-space inputs make rows only for their city and its districts. -#}
  (
    select split_part(geo_code, ':', 1) as city_code from {{ ref('stg_city__submissions') }} where geo_code is not null
    union
    select split_part(geo_code, ':', 1) from {{ ref('stg_city__targets') }} where geo_code is not null
    union
    select city_code from {{ ref('stg_city__survey_files') }} where city_code is not null
    union
    select city_code from {{ ref('stg_spaces__submissions') }} where city_code is not null
  )
{%- endmacro %}
