{#-
  95 % Wilson score interval for a proportion given in percent, with an effective sample size
  n / design_effect. Returns the bound in percent; null when n is unknown. Pure SQL (portable).
-#}
{% macro wilson_bound(percent, n, design_effect, side) -%}
    {%- set p = '(' ~ percent ~ ' / 100.0)' -%}
    {%- set m = '(' ~ n ~ ' / coalesce(' ~ design_effect ~ ', 1.0))' -%}
    case when {{ n }} > 0 and {{ percent }} between 0 and 100 then 100.0 * (
        ({{ p }} + 1.959963984540054 ^ 2 / (2 * {{ m }}))
        {{ '-' if side == 'low' else '+' }} 1.959963984540054 * sqrt(
            {{ p }} * (1 - {{ p }}) / {{ m }} + 1.959963984540054 ^ 2 / (4 * {{ m }} ^ 2))
    ) / (1 + 1.959963984540054 ^ 2 / {{ m }}) end
{%- endmacro %}
