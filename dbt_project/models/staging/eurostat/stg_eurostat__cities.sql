-- Eurostat's CITIES code list: the English name of every Urban Audit city code (C codes only; greater cities
-- K and functional urban areas F are other geographies). Empty offline: the documented snapshot has no copy.
select code as geo_code, trim(name) as city_name, load_id
from {{ source('raw', 'eurostat_cities') }}
where {{ latest_load('eurostat_cities') }}
  and regexp_full_match(code, '[A-Z]{2}[0-9]{3}C')
  and trim(name) <> ''
