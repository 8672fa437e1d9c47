-- One row per source dataset x ICCS offence x unit x geography x year, both crime datasets stacked.
-- Country rows appear in both datasets with slightly different values: both are kept, told apart by
-- source_dataset.
select 'crim_off_cat' as source_dataset, * from {{ ref('stg_eurostat__crim_off_cat') }}
union all by name
select 'crim_gen_reg' as source_dataset, * from {{ ref('stg_eurostat__crim_gen_reg') }}
