{#-
  Staging for one Open SDG CSV loaded into raw: one row per published cell (latest load), with the
  disaggregation columns the model does not name explicitly folded into `breakdown`
  ("Ethnicity=White; Household income=..."), so no disaggregation is ever dropped. Empty cell = total.
-#}
{% macro stg_open_sdg(dataset) %}
{%- set relation = source('raw', dataset) -%}
{%- set named = ['Year', 'Series', 'Sex', 'Age', 'GeoCode', 'Region', 'Units', 'Unit measure', 'Unit multiplier',
                 'Observation status', 'value', 'source_row', 'series_key', 'load_id', 'source_file',
                 'source_sha256', 'loaded_at', 'source_last_update'] -%}
{%- set names = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}{%- do names.append(column.name) -%}{%- endfor -%}
{%- endif -%}
{%- set folded = names | reject('in', named) | list -%}
select
    '{{ dataset }}' as source_dataset,
    trim("Year") as period,
    try_cast(left(trim("Year"), 4) as integer) as period_year,
    {{ open_sdg_column('Series', names) }} as series,
    {{ open_sdg_column('Sex', names) }} as sex,
    {{ open_sdg_column('Age', names) }} as age,
    {{ open_sdg_column('GeoCode', names) }} as ons_geocode,
    {{ open_sdg_column('Region', names) }} as region_name,
    coalesce({{ open_sdg_column('Units', names) }}, {{ open_sdg_column('Unit measure', names) }}) as source_unit,
    {{ open_sdg_column('Observation status', names) }} as observation_status,
    {%- if folded %}
    nullif(concat_ws('; ',
        {%- for column in folded %}
        case when nullif(trim("{{ column }}"), '') is not null then '{{ column }}=' || trim("{{ column }}") end
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ), '') as breakdown,
    {%- else %}
    cast(null as varchar) as breakdown,
    {%- endif %}
    value,
    source_row,
    load_id
from {{ relation }}
where {{ latest_load(dataset) }}
{% endmacro %}

{#- A named Open SDG column, trimmed ('' -> null), or null when this file does not have it. -#}
{% macro open_sdg_column(column, names) -%}
    {%- if column in names -%}nullif(trim("{{ column }}"), ''){%- else -%}cast(null as varchar){%- endif -%}
{%- endmacro %}
