"""The assessments the city_progress mart writes (English codes in the mart), marked for translation once:
the dashboard and the city report print them in the reader's language."""

from pipelines.shared.i18n import N_

ASSESSMENTS = (
    N_("significant improvement"),
    N_("no significant change"),
    N_("significant deterioration"),
    N_("on track"),
    N_("off track"),
    N_("cannot tell"),
    N_("significant progress"),
    N_("moderate progress"),
    N_("moderate movement away"),
    N_("significant movement away"),
    N_("target met"),
    N_("target achieved"),
    N_("significant progress towards the target"),
    N_("moderate progress towards the target"),
    N_("insufficient progress towards the target"),
    N_("movement away from the target"),
    N_("substantial progress"),
    N_("limited progress"),
    N_("deterioration"),
    N_("not available"),
    N_("not assessable (no uncertainty)"),
    N_("not assessable (zero or negative start value)"),
    N_("not assessable (no value before the target year)"),
    N_("not assessable (break in series)"),
)
