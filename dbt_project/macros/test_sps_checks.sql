{#- Generic test: every check of one model in one query, one dbt node (issue 21; docs/adr/0024). A dbt test is a
    node: compiled, run and reported on its own, with two Dagster events each. Profiled on the real snapshot, the
    136 single-purpose tests cost more than the SQL they ran; grouped per model they are 48 nodes.

    `checks` is a list of {test, column (or columns), ...the test's own arguments, where (optional), label
    (optional)}. Each check runs the SQL of the same generic test it replaces (dbt's not_null, unique,
    accepted_values, relationships; this project's unique_combination, is_null, covers_every_row_of) over the
    model's rows (those matching `where`). The query returns one row per failing check with the number of rows the
    separate test would have returned, and the test's fail_calc sums them: the failure count is the sum of the
    separate tests' counts, and `sps refresh` names each failing check in the health report
    (pipelines/warehouse/dbt_assets.py). -#}
{% test sps_checks(model, checks) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- for check in checks %}
{%- set relation = model if not check.get('where') else '(select * from ' ~ model ~ ' where ' ~ check['where'] ~ ')' %}
{% if not loop.first %}union all
{% endif -%}
select '{{ sps_check_label(check) | replace("'", "''") }}' as failed_check, count(*) as failing_rows
from (
{{ sps_check_sql(relation, check) }}
) as failing
having count(*) > 0
{%- endfor %}
{% endtest %}

{% macro sps_check_label(check) -%}
  {%- if check.get('label') -%}{{ check['label'] }}
  {%- elif check['test'] == 'relationships' -%}relationships({{ check['column'] }} -> {{ check['to'] }}.{{ check['field'] }})
  {%- elif check['test'] in ('unique_combination', 'covers_every_row_of') -%}{{ check['test'] }}({{ check['columns'] | join(', ') }})
  {%- else -%}{{ check['test'] }}({{ check['column'] }})
  {%- endif -%}
  {%- if check.get('where') %} where {{ check['where'] }}{% endif -%}
{%- endmacro %}

{% macro sps_check_sql(relation, check) -%}
  {%- set test = check['test'] -%}
  {%- if test == 'not_null' -%}{{ adapter.dispatch('test_not_null', 'dbt')(relation, check['column']) }}
  {%- elif test == 'unique' -%}{{ adapter.dispatch('test_unique', 'dbt')(relation, check['column']) }}
  {%- elif test == 'accepted_values' -%}{{ adapter.dispatch('test_accepted_values', 'dbt')(relation, check['column'], check['values'], check.get('quote', true)) }}
  {%- elif test == 'relationships' -%}{{ adapter.dispatch('test_relationships', 'dbt')(relation, check['column'], check['to'], check['field']) }}
  {%- elif test == 'unique_combination' -%}{{ test_unique_combination(relation, check['columns']) }}
  {%- elif test == 'is_null' -%}{{ test_is_null(relation, check['column']) }}
  {%- elif test == 'covers_every_row_of' -%}{{ test_covers_every_row_of(relation, check['to'], check['columns'], check.get('rows_where', 'true')) }}
  {%- else -%}{{ exceptions.raise_compiler_error('sps_checks: unknown check ' ~ test) }}
  {%- endif -%}
{%- endmacro %}
