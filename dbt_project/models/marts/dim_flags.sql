-- One row per Eurostat observation flag and what it means (seeds/flags.csv), for the dashboard's badges.
select flag, meaning, is_break_in_series, is_quality_warning from {{ ref('flags') }}
