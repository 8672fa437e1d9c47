{#- Union of single-letter Eurostat flags across rows, sorted, as one string ('' -> null). -#}
{% macro merge_flags(flag_column) -%}
    nullif(array_to_string(list_sort(list_distinct(flatten(list(string_split(coalesce({{ flag_column }}, ''), ''))))), ''), '')
{%- endmacro %}
