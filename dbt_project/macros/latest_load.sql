{#- Raw tables are append-only; staging reads the latest successful load of one dataset. -#}
{% macro latest_load(dataset) -%}
    load_id = (select max(load_id) from {{ source('raw', '_loads') }} where dataset = '{{ dataset }}')
{%- endmacro %}
