{#- Generic test: the column is null on every row (e.g. a list of cast failures that must stay empty). -#}
{% test is_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
{% endtest %}
