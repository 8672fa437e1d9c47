-- One row per published cell of ONS SDG indicator 11.7.2 (latest load).
{{ stg_open_sdg('ons_sdg_11_7_2') }}
