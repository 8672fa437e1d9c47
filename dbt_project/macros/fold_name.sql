{#- A place name folded for matching: letters that strip_accents leaves alone transliterated the way exports
    write them without diacritics (Wrocław -> Wroclaw, Tromsø -> Tromso, Æ -> AE, ß -> ss), accents stripped,
    lower case, only a-z and 0-9 kept. `keep_sql` is a SQL text of more characters to keep (e.g. chr(65533)). -#}
{% macro fold_name(expression, keep_sql="''") -%}
    regexp_replace(lower(strip_accents(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            {{ expression }},
            'ł', 'l'), 'Ł', 'L'), 'ø', 'o'), 'Ø', 'O'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'),
            'ß', 'ss'), 'đ', 'd'), 'Đ', 'D'), 'ı', 'i'), 'þ', 'th')
    )), '[^a-z0-9' || {{ keep_sql }} || ']', '', 'g')
{%- endmacro %}
