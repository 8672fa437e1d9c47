{#- The project's table materialization for DuckDB: `create or replace table` in one transaction.

    dbt-duckdb's own builds a __dbt_tmp table, renames the old one to __dbt_backup, renames the new one into place,
    commits and drops the backup: five statements and as many adapter round trips per model, for a swap DuckDB
    makes atomic in one statement (its DDL is transactional; readers of the warehouse see the old table or the new
    one). Nothing else changes: contracts are still enforced (the column check before building, then the typed
    `create` with its not-null constraints and the insert), hooks still run, and the relation is returned to dbt's
    cache. This project has no foreign keys, grants, indexes or Python models that the longer path exists for.
    Measured per model in benchmarks/findings.py (issue 21). -#}
{% materialization table, adapter="duckdb", supported_languages=['sql'] %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {%- if existing_relation is not none and not existing_relation.is_table %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}
  {% call statement('main') -%}
    {%- if sps_partial_rebuild() %}
    {#- only the rows a city's input can change (macros/partial_rebuild.sql): the model's query, restricted by
        the model itself, replaces them in one transaction; the table's columns and constraints are the ones
        the last full build made from the same code -#}
    {%- set rows = sps_partial_predicate() %}
    delete from {{ target_relation }} where {{ rows }};
    insert into {{ target_relation }} by name select * from ( {{ compiled_code }} ) where {{ rows }};
    {%- else %}
    {{ sps_create_or_replace_table_as(target_relation, compiled_code) }}
    {%- endif %}
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% materialization view, adapter="duckdb" %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {%- if existing_relation is not none and not existing_relation.is_view %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}
  {% call statement('main') -%}
    {%- if config.get('contract').enforced %}{{ get_assert_columns_equivalent(compiled_code) }}{% endif %}
    create or replace view {{ target_relation }} as (
      {{ compiled_code }}
    );
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% macro sps_create_or_replace_table_as(relation, compiled_code) -%}
  {%- set contract_config = config.get('contract') -%}
  {%- set sql_header = config.get('sql_header', none) -%}
  {{ sql_header if sql_header is not none }}
  {%- if contract_config.enforced %}
    {{ get_assert_columns_equivalent(compiled_code) }}
    create or replace table {{ relation }} {{ get_table_columns_and_constraints() }} ;
    insert into {{ relation }} {{ get_column_names() }} (
      {{ get_select_subquery(compiled_code) }}
    );
  {%- else %}
    create or replace table {{ relation }} as (
      {{ compiled_code }}
    );
  {%- endif %}
{%- endmacro %}
