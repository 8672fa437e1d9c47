-- One row per city label in the population export: the Urban Audit code it matches, how, or why not.
-- Tiers, first unique hit wins: exact name; folded name (accents, case, spaces and punctuation ignored, ł, ø,
-- æ, ß transliterated); and, for labels whose source bytes already carry the replacement character U+FFFD
-- ('Alcorc�n'), a repair: the damaged character read as exactly one letter of a register name. A repair is
-- kept only when one city fits; anything else is reported with the reason, never guessed.
with labels as (
    select distinct city_label from {{ ref('stg_eurostat__urb_cpop1_labels') }}
),

-- The export sometimes uses one label for two areas (e.g. 'Barcelona' for the city and its larger
-- urban zone, with two different populations in the same year): such labels cannot be matched safely.
ambiguous_labels as (
    select distinct city_label
    from {{ ref('stg_eurostat__urb_cpop1_labels') }}
    group by city_label, period, population_measure
    having count(*) > 1
),

cities as (
    select geo_code, geo_name, country_code, {{ fold_name('geo_name') }} as folded_name
    from {{ ref('int_geographies_registered') }}
    where geo_level = 'city' and geo_name is not null
),

folded_labels as (
    select city_label,
        {{ fold_name('city_label') }} as folded_label,
        contains(city_label, chr(65533)) as is_damaged,
        -- the damaged label as a LIKE pattern over folded names: U+FFFD stands for exactly one letter
        replace({{ fold_name('city_label', keep_sql='chr(65533)') }}, chr(65533), '_') as repair_pattern
    from labels
),

candidates as (
    select labels.city_label, cities.geo_code, cities.geo_name, 1 as match_tier
    from folded_labels as labels inner join cities on labels.city_label = cities.geo_name
    union all
    select labels.city_label, cities.geo_code, cities.geo_name, 2 as match_tier
    from folded_labels as labels inner join cities
        on not labels.is_damaged and labels.folded_label = cities.folded_name
    union all
    select labels.city_label, cities.geo_code, cities.geo_name, 3 as match_tier
    from folded_labels as labels inner join cities
        on labels.is_damaged and cities.folded_name like labels.repair_pattern
),

best_tier as (
    select city_label, min(match_tier) as match_tier from candidates group by city_label
),

resolved as (
    select candidates.city_label, candidates.match_tier,
        count(distinct candidates.geo_code) as candidate_count,
        min(candidates.geo_code) as geo_code,
        min(candidates.geo_name) as geo_name,
        string_agg(distinct candidates.geo_code || ' ' || candidates.geo_name, ', ' order by candidates.geo_code || ' ' || candidates.geo_name)
            as candidate_codes
    from candidates
    inner join best_tier using (city_label, match_tier)
    group by candidates.city_label, candidates.match_tier
),

claimed as (
    select resolved.*,
        row_number() over (partition by geo_code order by match_tier, city_label) as claim_rank
    from resolved
    where candidate_count = 1
),

country_spellings as (
    select country_code, name as spelling from {{ ref('country_names') }}
    union all
    select country_code, unnest(string_split(other_names, '|')) as spelling
    from {{ ref('country_names') }} where other_names is not null and other_names <> ''
),

countries as (
    select distinct {{ fold_name('spelling') }} as folded_name from country_spellings
),

-- Register cities whose name is not in the snapshot but whose candidate names are known (the eight Latvian
-- state cities LV002C-LV009C): a label naming one of them cannot be given a code offline.
unnamed_candidate_names as (
    select geo_code, unnest(string_split(candidate_names, '|')) as candidate_name
    from {{ ref('geography_additions') }}
    where candidate_names is not null and candidate_names <> ''
      and geo_code not in (select geo_code from cities)
),

unnamed_candidates as (
    select {{ fold_name('candidate_name') }} as folded_name, string_agg(geo_code, ', ' order by geo_code) as geo_codes
    from unnamed_candidate_names
    group by 1
),

register_size as (
    select count(*) as cities from cities
)

select
    labels.city_label,
    case when claimed.claim_rank = 1 and ambiguous_labels.city_label is null then claimed.geo_code end as geo_code,
    case when claimed.claim_rank = 1 and ambiguous_labels.city_label is null then
        case claimed.match_tier when 1 then 'exact' when 2 then 'folded' when 3 then 'repaired' end
    end as match_method,
    -- the register name a damaged label was repaired to ('Alcorc�n' -> the city whose name fits)
    case when claimed.claim_rank = 1 and ambiguous_labels.city_label is null and claimed.match_tier = 3
        then claimed.geo_name end as repaired_as,
    case
        when ambiguous_labels.city_label is not null
            then 'label names more than one area in the export (different populations in one year)'
        when claimed.claim_rank = 1 then null
        when claimed.claim_rank > 1 then 'another label already matched ' || claimed.geo_code
        when resolved.candidate_count > 1 then
            (case when resolved.match_tier = 3 then 'damaged label fits more than one city: ' else 'ambiguous: matches ' end)
            || resolved.candidate_codes
        when labels.folded_label in (select folded_name from countries) then 'a country total, not a city'
        when labels.city_label ilike '%(greater city)%' or labels.city_label ilike 'greater %'
            then 'greater city, not a city code'
        when regexp_matches(labels.city_label, '^C[AC] ')
            then 'a French inter-municipal grouping (communauté d''agglomération or de communes), not a city code'
        when labels.city_label like '% - %' then 'names two places (a combined urban unit), not one city code'
        when regexp_matches(lower(labels.city_label), 'conurbation|urban area|metropolita|local government district')
            then 'an urban area or metropolitan grouping, not a city code'
        when unnamed.geo_codes is not null
            then 'one of ' || unnamed.geo_codes || ', whose names are not in this snapshot (which code is which is unknown offline)'
        when labels.is_damaged
            then 'damaged in the source (U+FFFD) and no city of the register fits it (' || register_size.cities
                || ' named cities: GISCO 2021 points and seeds/geography_additions.csv)'
        else 'no city of that name among the register''s ' || register_size.cities
            || ' named cities (GISCO 2021 points and seeds/geography_additions.csv)'
    end as unmatched_reason
from folded_labels as labels
cross join register_size
left join claimed on labels.city_label = claimed.city_label
left join resolved on labels.city_label = resolved.city_label
left join ambiguous_labels on labels.city_label = ambiguous_labels.city_label
left join unnamed_candidates as unnamed on labels.folded_label = unnamed.folded_name
