{#- Generic test: every row of `to` (only those matching `rows_where`, if given) has a row in the model with the same
    `columns`, so a mart that copies or pre-aggregates part of another leaves nothing out. -#}
{% test covers_every_row_of(model, to, columns, rows_where='true') %}
select {{ columns | join(', ') }} from {{ to }} where {{ rows_where }}
except
select {{ columns | join(', ') }} from {{ model }}
{% endtest %}
