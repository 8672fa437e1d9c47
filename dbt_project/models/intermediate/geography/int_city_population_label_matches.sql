-- One row per city label in the population export: the Urban Audit code it matches, how, or why not.
-- Tiers, first unique hit wins: exact name; name without accents, case, spaces and punctuation; the
-- export's broken characters (U+FFFD) as one-character wildcards. Anything else is reported, not guessed.
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
    select geo_code, geo_name, country_code,
        regexp_replace(lower(strip_accents(geo_name)), '[^a-z0-9]', '', 'g') as folded_name
    from {{ ref('int_geographies_registered') }}
    where geo_level = 'city' and geo_name is not null
),

candidates as (
    select labels.city_label, cities.geo_code, 1 as match_tier
    from labels inner join cities on labels.city_label = cities.geo_name
    union all
    select labels.city_label, cities.geo_code, 2 as match_tier
    from labels inner join cities
        on regexp_replace(lower(strip_accents(labels.city_label)), '[^a-z0-9]', '', 'g') = cities.folded_name
    union all
    select labels.city_label, cities.geo_code, 3 as match_tier
    from labels inner join cities
        on labels.city_label like '%' || chr(65533) || '%'
        and cities.folded_name like regexp_replace(
            regexp_replace(lower(labels.city_label), '[^a-z0-9' || chr(65533) || ']', '', 'g'), chr(65533), '_', 'g')
),

best_tier as (
    select city_label, min(match_tier) as match_tier from candidates group by city_label
),

resolved as (
    select candidates.city_label, candidates.match_tier,
        count(distinct candidates.geo_code) as candidate_count,
        min(candidates.geo_code) as geo_code,
        string_agg(distinct candidates.geo_code, ', ') as candidate_codes
    from candidates
    inner join best_tier using (city_label, match_tier)
    group by candidates.city_label, candidates.match_tier
),

claimed as (
    select resolved.*,
        row_number() over (partition by geo_code order by match_tier, city_label) as claim_rank
    from resolved
    where candidate_count = 1
)

select
    labels.city_label,
    case when claimed.claim_rank = 1 and ambiguous_labels.city_label is null then claimed.geo_code end as geo_code,
    case when ambiguous_labels.city_label is null then
        case claimed.match_tier when 1 then 'exact' when 2 then 'folded' when 3 then 'wildcard' end
    end as match_method,
    case
        when ambiguous_labels.city_label is not null
            then 'label names more than one area in the export (different populations in one year)'
        when claimed.claim_rank = 1 then null
        when claimed.claim_rank > 1 then 'another label already matched ' || claimed.geo_code
        when resolved.candidate_count > 1 then 'ambiguous: matches ' || resolved.candidate_codes
        when labels.city_label ilike '%(greater city)%' or labels.city_label ilike 'greater %' then 'greater city, not a city code'
        else 'no city of that name in the register'
    end as unmatched_reason
from labels
left join claimed on labels.city_label = claimed.city_label
left join resolved on labels.city_label = resolved.city_label
left join ambiguous_labels on labels.city_label = ambiguous_labels.city_label
