{#- Union of single-letter Eurostat flags across rows, sorted, as one string (none -> null).
    Only rows that carry a flag are aggregated: listing every row's (mostly empty) flags made
    fct_police_recorded_offences take 14 s instead of 5 s at 100x (benchmarks/findings.py). -#}
{% macro merge_flags(flag_column) -%}
    nullif(array_to_string(list_sort(list_distinct(flatten(
        list(string_split({{ flag_column }}, '')) filter (where {{ flag_column }} <> '')
    ))), ''), '')
{%- endmacro %}
