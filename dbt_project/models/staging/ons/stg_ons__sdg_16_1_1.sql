-- One row per published cell of ONS SDG indicator 16.1.1 (latest load).
{{ stg_open_sdg('ons_sdg_16_1_1') }}
