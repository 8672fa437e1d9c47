-- The city surveys in force: accepted, not withdrawn, and for each city x period the latest upload (a corrected
-- re-upload of a survey replaces the earlier one; both stay in raw and in the survey store's audit trail).
select files.*
from {{ ref('stg_city__survey_files') }} as files
where files.submission_id not in (select submission_id from {{ ref('stg_city__survey_withdrawals') }})
qualify row_number() over (partition by files.city_code, files.period order by files.submission_id desc) = 1
