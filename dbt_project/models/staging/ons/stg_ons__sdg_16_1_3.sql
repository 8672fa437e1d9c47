-- One row per published cell of ONS SDG indicator 16.1.3 (latest load).
{{ stg_open_sdg('ons_sdg_16_1_3') }}
