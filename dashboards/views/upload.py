"""Upload page for city officers. First tab, indicator values: the template and its data dictionary (every
indicator's unit, the codes it accepts, the spellings read with a warning), the token, then the city it may write
picked from a list (with its districts), a file up to SPS_UPLOAD_MAX_MB (the same number Streamlit's file box says:
`sps serve` passes it), every problem at once (summarised by rule and message, listed page by page, the whole report
downloadable), an Open SDG file mapped with a form, submit; the same code as `sps upload`, through
pipelines/uploads/api.py. Second tab: the city safety survey kit (the questionnaire, a survey's microdata checked and
estimated, submitted or withdrawn); the same code as `sps survey`, through surveys.api. Third tab: public-space
layers and site audits, through spaces.api."""

import functools
import hashlib
import math
import secrets
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.common import show_table
from dashboards.labels import column_label
from dashboards.labels import text as _
from dashboards.language import choose_language
from dashboards.upload_report import PAGE_SIZE, n, problem_table, summary_table
from pipelines.errors import SpsError
from pipelines.settings import load_settings
from pipelines.shared import i18n
from pipelines.spaces import api as spaces
from pipelines.surveys import api as surveys
from pipelines.uploads import api as uploads


def plain(number: int) -> str:
    """A count in a sentence: as is in English (1200), grouped the reader's way elsewhere (1 200)."""
    return str(number) if i18n.language() == i18n.DEFAULT_LANGUAGE else n(number)


def _mb(value: float) -> str:
    return f"{value:g} MB"


def template_bytes(suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"sps_upload_template{suffix}"
        uploads.write_template(path)
        return path.read_bytes()


@st.cache_data(show_spinner=False)
def dictionaries() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(uploads.column_dictionary()), pd.DataFrame(uploads.indicator_dictionary())


def city_choices(city: str) -> tuple[dict[str, str], list[str]]:
    """The name of the city a token may write and its districts known to the published version (codes only when
    nothing is published yet)."""
    try:
        published = queries.current_published()
    except SpsError:
        return {city: city}, []
    names = queries.place_names(published, city) or {city: city}
    districts = [code for code in names if code != city]
    return names, districts


def error_text(exc: SpsError) -> str:
    """A refused token or upload in the reader's language (the exception's own text is English, for the logs)."""
    if isinstance(exc, uploads.TokenRejected):
        reason = _(exc.reason, **exc.values)
        return (
            _("upload token rejected: {reason}.", reason=reason)
            + " "
            + _("Ask the secretariat for a valid token for your city (sps token issue --city CODE).")
        )
    if isinstance(exc, uploads.TooManyWrongTokens):
        return (
            _(
                "too many wrong upload tokens from this browser or address: uploads are refused until {time} UTC.",
                time=f"{exc.until:%H:%M}",
            )
            + " "
            + _("If you lost your token, ask the secretariat for a new one.")
        )
    return str(exc)


def _client_address() -> str | None:
    """The browser's address: the connection's, or behind a reverse proxy on this machine (the recommended
    deployment) the last X-Forwarded-For entry, the one our own proxy appended."""
    address = st.context.ip_address
    if address is None:
        forwarded = st.context.headers.get("X-Forwarded-For", "")
        address = forwarded.split(",")[-1].strip() or None
    return address


def _token_accepted(settings, city: str, token: str, tab: str) -> bool:
    """The token check of both tabs, through the limiter (uploads.api.verify_upload_token_limited): repeated wrong
    tokens from this browser session or address are slowed down, then refused for a while. A wrong token is
    checked (and counted) once: the page reruns on every change while it stays in the box."""
    attempt = hashlib.sha256(f"{city}\0{token}".encode()).hexdigest()
    refused = st.session_state.get(f"token_refused_{tab}")
    if refused and refused[0] == attempt:
        st.error(refused[1])
        return False
    session = st.session_state.setdefault("upload_session", secrets.token_hex(8))
    try:
        uploads.verify_upload_token_limited(settings.data_dir, token, city, session, _client_address())
    except SpsError as exc:
        st.session_state[f"token_refused_{tab}"] = (attempt, error_text(exc))
        st.error(error_text(exc))
        return False
    st.session_state.pop(f"token_refused_{tab}", None)
    return True


def _values_tab(settings) -> None:
    """Indicator values: the SPS template or an Open SDG file. The token comes first and offers the city it may
    write; the file box says SPS_UPLOAD_MAX_MB; problems are summarised by rule and message."""
    max_mb = uploads.upload_max_mb()

    with st.expander(_("Get the template and its data dictionary"), expanded=False):
        st.markdown(
            _("One row per value: ")
            + "`indicator_code, geo_code, period, sex, age_group, breakdown, value, unit, ci_low, ci_high, "
            "sample_size, source, note`. "
            + _(
                "You can also upload the Open SDG CSV files your city already publishes and say below which indicator "
                "they hold. The XLSX template carries the same data dictionary as below."
            )
        )
        left, right = st.columns(2)
        for column, suffix, mime in (
            (left, ".csv", "text/csv"),
            (right, ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ):
            column.download_button(  # written when clicked: the XLSX took a third of a second on every run of the page
                _("Template {suffix}", suffix=suffix),
                lambda suffix=suffix: template_bytes(suffix),
                file_name=f"sps_upload_template{suffix}",
                mime=mime,
                key=f"template{suffix}",
            )
        columns, indicators = dictionaries()
        st.markdown("**" + _("Columns") + "**")
        if "description" in columns:  # the data dictionary's words in the reader's language (seed texts, babel.cfg)
            columns = columns.assign(
                description=[_(d) if isinstance(d, str) and d else d for d in columns["description"]]
            )
        st.table(columns.rename(columns=column_label), hide_index=True)
        st.markdown("**" + _("Indicators: the unit each value must be in, and what else is read") + "**")
        show_table(indicators)
        st.caption(
            _(
                "Spellings 'read with a warning' and sex codes such as F, M, _T or total are accepted: the warning "
                "names the conversion (e.g. Read sex 'total' as empty (both sexes)). Anything else is an error with "
                "what to do."
            )
        )

    token = st.text_input(_("Upload token"), type="password", help=_("Issued by the secretariat for your city."))
    if not token:
        st.info(_("Enter the upload token the secretariat gave you; the city it may write is then offered below."))
        return
    session = st.session_state.setdefault("upload_session", secrets.token_hex(8))
    attempt = hashlib.sha256(token.encode()).hexdigest()
    refused = st.session_state.get("token_city_refused")
    if refused and refused[0] == attempt:  # a wrong token is checked (and counted) once, not on every rerun
        st.error(refused[1])
        return
    try:  # through the wrong-token limiter: asking which city a token writes is a token check too
        token_city = uploads.token_city_limited(settings.data_dir, token, session, _client_address())
    except SpsError as exc:
        st.session_state["token_city_refused"] = (attempt, error_text(exc))
        st.error(error_text(exc))
        return
    st.session_state.pop("token_city_refused", None)
    names, districts = city_choices(token_city)
    city = st.selectbox(
        _("City (type to search)"),
        [token_city],
        format_func=lambda c: f"{names.get(c, c)} ({c})",
        help=_("The cities this token may write. Rows about a district use the code CITY:district in geo_code."),
    )
    if districts:
        st.caption(
            _("Districts of this city already known")
            + ": "
            + ", ".join(f"{names[d]} (`{d}`)" for d in districts)
            + ". "
            + _("A new district is added by using a new CITY:district code.")
        )
    else:
        st.caption(
            _(
                "Rows about a district of the city use the code CITY:district in geo_code (e.g. {example}).",
                example=f"`{city}:d1`",
            )
        )

    server_limit = st.get_option("server.maxUploadSize")
    uploaded = st.file_uploader(
        _("File (CSV or XLSX), up to {size}", size=_mb(max_mb)),
        type=["csv", "tsv", "txt", "xlsx"],
        help=_("Files up to {size} (SPS_UPLOAD_MAX_MB).", size=_mb(max_mb)),
    )
    if server_limit != max(1, math.ceil(max_mb)):
        st.caption(
            _(
                "This dashboard server takes files up to {server} MB but uploads are checked against {size}: start it "
                "with `sps serve`, which sets both from SPS_UPLOAD_MAX_MB.",
                server=server_limit,
                size=_mb(max_mb),
            )
        )
    if not uploaded:
        st.info(_("Choose a file."))
        return

    data = uploaded.getvalue()
    mapping = None
    # Read once per file (the page reruns on every click of the pager, and reading a large file takes a while).
    digest = hashlib.sha256(data).hexdigest()[:16]
    inspected = st.session_state.get("upload_shape")
    if inspected is None or inspected[0] != (digest, uploaded.name):
        inspected = ((digest, uploaded.name), uploads.inspect_file(data, uploaded.name))
        st.session_state["upload_shape"] = inspected
    shape = inspected[1]
    if not shape.problems and shape.format == "open_sdg":
        st.subheader(_("This is an Open SDG file: say what it holds"))
        choice = st.selectbox(
            _("Indicator"),
            ["(local)", *uploads.catalogue_indicator_codes()],
            format_func=lambda c: _("(a local indicator of my city)") if c == "(local)" else c,
        )
        mapping = uploads.Mapping()
        if choice.startswith("("):
            mapping.local_name = st.text_input(_("Name of the local indicator"))
            mapping.local_unit = st.text_input(_("Its unit"), placeholder="0-10 scale")
            mapping.local_description = st.text_area(_("What it measures"))
        else:
            mapping.indicator = choice
        if "Units" not in shape.header and "Unit measure" not in shape.header and not mapping.local_unit:
            mapping.unit = st.text_input(_("Unit of the values (the file has no Units column)"), placeholder="%")
        for column in [c for c in shape.header if c not in uploads.OPEN_SDG_RESERVED]:
            target = st.selectbox(
                _("Column '{name}' is", name=column),
                ["breakdown", "sex", "age_group"],
                format_func=column_label,
                key=f"map-{column}",
            )
            if target != "breakdown":
                mapping.columns[column] = target
            if target == "sex":
                pairs = st.text_input(
                    _("Values of '{name}' (label=female/male, comma separated)", name=column),
                    placeholder="Women=female, Men=male",
                    key=f"values-{column}",
                )
                mapping.values[column] = dict(p.split("=", 1) for p in pairs.replace(" ", "").split(",") if "=" in p)

    # Checked once per file: changing page or rule below reruns the page, and a 1 M-row file takes seconds to check.
    # The summary, the counts and each rule's problems are made once too: a rerun only draws them (benchmarks/
    # upload_page.py times it).
    check_key = (digest, uploaded.name, city, repr(mapping))
    checked = st.session_state.get("upload_check")
    if checked is None or checked[0] != check_key:
        _fmt, rows, problems = uploads.check_file(data, uploaded.name, city, mapping, settings)
        by_rule: dict[str, list] = {}
        for problem in problems:
            by_rule.setdefault(problem.rule, []).append(problem)
        errors = sum(p.severity == "error" for p in problems)
        summary = uploads.summarise(problems)
        checked = (check_key, len(rows), problems, summary_table(summary), by_rule, errors, summary, i18n.language())
        st.session_state["upload_check"] = checked
    elif checked[-1] != i18n.language():  # the reader changed language: the summary's words, not the check, again
        checked = (*checked[:3], summary_table(checked[6]), *checked[4:7], i18n.language())
        st.session_state["upload_check"] = checked
    _key, row_count, problems, overview, by_rule, errors = checked[:6]
    report_id = hashlib.sha256(repr(check_key).encode()).hexdigest()[:16]  # a new report starts on page 1, all rules
    warnings = len(problems) - errors
    if problems:
        (st.error if errors else st.warning)(
            _(
                "{errors} error(s) and {warnings} warning(s) in {file}.",
                errors=plain(errors),
                warnings=plain(warnings),
                file=uploaded.name,
            )
            + " "
            + (_("Nothing can be loaded until the errors are corrected.") if errors else _("Warnings do not block."))
        )
        st.markdown("**" + _("What is wrong, rule by rule") + "**")
        # a static table: the 'what to do' text wraps, it is never cut off
        st.table(overview.rename(columns=column_label), hide_index=True)

        st.markdown("**" + _("Every problem, line by line") + "**")
        shown = problems
        if len(problems) > PAGE_SIZE:
            rule = st.selectbox(
                _("Show the problems of"),
                ["all rules", *dict.fromkeys(overview["rule"])],
                format_func=lambda r: _("all rules") if r == "all rules" else r,
                key=f"rule-{report_id}",
            )
            if rule != "all rules":
                shown = by_rule[rule]
            pages = -(-len(shown) // PAGE_SIZE)
            page = st.pagination(pages, key=f"page-{report_id}-{rule}") if pages > 1 else 1
            first = (page - 1) * PAGE_SIZE
            values = {
                "first": n(first + 1),
                "last": n(min(first + PAGE_SIZE, len(shown))),
                "total": n(len(shown)),
                "page_size": PAGE_SIZE,
                "rule": rule,
            }
            st.caption(
                _("Problems {first}–{last} of {total} ({page_size} a page; download the whole report below)", **values)
                if rule == "all rules"
                else _(
                    "Problems {first}–{last} of {total} of the rule {rule} ({page_size} a page; download the whole "
                    "report below)",
                    **values,
                )
            )
            shown = shown[first : first + PAGE_SIZE]
        show_table(
            problem_table(shown),
            column_config={"what to do": st.column_config.TextColumn(column_label("what to do"), width="large")},
        )
        st.download_button(
            _("Download the whole report (CSV)"),
            lambda: uploads.report_csv(problems),  # written only when clicked, the same CSV as `sps upload` writes
            file_name=f"{uploaded.name}.report.csv",
            mime="text/csv",
        )
    else:
        st.success(_("{file}: {rows} row(s), no problems found.", file=uploaded.name, rows=plain(row_count)))

    if not errors and row_count and st.button(_("Submit"), type="primary"):
        result = uploads.submit_upload(data, uploaded.name, city, token, mapping, settings)
        if result.accepted:
            st.success(
                _(
                    "Submitted as {id}. Nothing you sent is lost: the original file is kept. It is published by the "
                    "next refresh; a later upload of the same values supersedes this one and both versions are kept.",
                    id=result.submission_id,
                )
            )
        else:  # pragma: no cover - the file was checked just above
            st.error(_("The file was rejected when stored; see the report above."))


def _survey_tab(settings) -> None:
    """The city safety survey kit: questionnaire, check and estimates of a survey file, submit, withdraw. The
    microdata stay in the private store; only estimates are ever published."""
    st.markdown(
        _(
            "Run the SPS core survey module (`sps_core_v1`) with KoboToolbox or ODK Collect, then upload the export "
            "(CSV or XLSX, with codes or labels), a plain CSV/XLSX or an SPSS / Stata file. SPS Monitor checks every "
            "respondent, estimates the SDG 16.1.4, 11.7.2, 16.1.3 and 16.3.1 indicators with their 95 % intervals, "
            "and publishes the estimates at the next refresh. **Your microdata are never published**: they are kept "
            "owner-only on the server and deleted if you withdraw the survey."
        )
    )
    with st.expander(_("Get the questionnaire (XLSForm)"), expanded=False):
        langs = st.multiselect(
            _("Languages"),
            list(surveys.LANGUAGES),
            default=list(surveys.LANGUAGES),
            format_func=lambda code: i18n.LANGUAGES.get(code, code),
            key="survey_form_langs",
        )
        st.download_button(
            _("Questionnaire .xlsx"),
            lambda: _form_bytes(langs),
            file_name="sps_core_v1.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="survey_form",
            disabled=not langs,
        )
    city = st.text_input(_("Your city's code (Urban Audit)"), placeholder="PL013C", key="survey_city").strip().upper()
    token = st.text_input(_("Upload token"), type="password", key="survey_token")
    uploaded = st.file_uploader(
        _("Survey file"),
        type=["csv", "xlsx", "sav", "zsav", "dta"],
        key="survey_file",
        help=_(
            "A KoboToolbox / ODK export of the SPS core form, a CSV / XLSX with the core variable names, or .sav/.dta"
        ),
    )
    design = st.file_uploader(_("design.yml (optional)"), type=["yml", "yaml"], key="survey_design")
    margins = st.file_uploader(_("Population margins (optional, CSV)"), type=["csv"], key="survey_margins")
    period = st.text_input(_("Survey period (if design.yml does not give it)"), placeholder="2026", key="survey_period")
    if not (city and token):
        st.info(_("Enter your city code and token to check, submit or withdraw a survey."))
        return
    if not _token_accepted(settings, city, token, "survey"):
        return
    _withdraw_section(settings, city, token)
    if uploaded is None:
        return
    data = uploaded.getvalue()
    design_bytes = design.getvalue() if design else None
    margins_bytes = margins.getvalue() if margins else None
    key = (
        hashlib.sha256(data + (design_bytes or b"") + (margins_bytes or b"")).hexdigest(),
        uploaded.name,
        city,
        period,
    )
    checked = st.session_state.get("survey_check")
    if checked is None or checked[0] != key:
        check = surveys.check_survey(
            data, uploaded.name, city, design_bytes, margins_bytes, period.strip() or None, surveys.upload_max_bytes()
        )
        estimates = surveys.estimate_survey(check) if check.accepted else None
        checked = (key, check, estimates)
        st.session_state["survey_check"] = checked
    _key, check, estimates = checked
    if check.problems:
        errors = len(check.errors)
        (st.error if errors else st.warning)(
            _(
                "{errors} error(s) and {warnings} warning(s) in {file}.",
                errors=plain(errors),
                warnings=plain(len(check.warnings)),
                file=uploaded.name,
            )
            + " "
            + (_("Nothing can be submitted until the errors are corrected.") if errors else _("Warnings do not block."))
        )
        show_table(problem_table(check.problems[:PAGE_SIZE]), key="survey_report")
        st.download_button(
            _("Download the survey report (CSV)"),
            lambda: surveys.report_csv(check.problems),
            file_name=f"{uploaded.name}.report.csv",
            mime="text/csv",
            key="survey_report_csv",
        )
    if not check.accepted:
        return
    st.success(
        _(
            "{file}: {respondents} respondents, period {period}, {weighting} weights; {estimates} estimates "
            "({publishable} publishable).",
            file=uploaded.name,
            respondents=plain(check.survey["achieved_n"]),
            period=check.period,
            weighting=_(check.design.weighting),
            estimates=plain(estimates.height),
            publishable=plain(int(estimates["value"].is_not_null().sum())),
        )
    )
    totals = estimates.filter(
        (estimates["geo_code"] == city)
        & estimates["sex"].is_null()
        & estimates["age_group"].is_null()
        & estimates["breakdown"].is_null()
    )
    show_table(
        totals.select("indicator_code", "value", "ci_low", "ci_high", "deff", "sample_size", "flags", "note")
        .to_pandas()
        .round(1),
        decimals=1,
        key="survey_totals",
    )
    if st.button(_("Submit survey"), type="primary", key="survey_submit"):
        result = surveys.submit_survey(
            data, uploaded.name, city, token, settings, design_bytes, margins_bytes, period.strip() or None
        )
        if result.accepted:
            st.success(
                _(
                    "Submitted as {id}. The microdata stay in the private store; the estimates are published by the "
                    "next refresh.",
                    id=result.submission_id,
                )
            )
        else:  # pragma: no cover - the file was checked just above
            st.error(_("The survey was rejected when stored; see the report above."))


def _form_bytes(langs: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sps_core_v1.xlsx"
        surveys.write_form(path, langs)
        return path.read_bytes()


def _withdraw_section(settings, city: str, token: str) -> None:
    active = [s for s in surveys.list_surveys(settings, city) if not s["withdrawn_at"]]
    if not active:
        return
    with st.expander(_("Withdraw a survey of {city} ({n} uploaded)", city=city, n=len(active)), expanded=False):
        st.markdown(
            _(
                "Withdrawing deletes the survey's microdata (the file you sent and its normalised copy) at once; its "
                "estimates leave the published version at the next refresh. The withdrawal itself stays on record."
            )
        )
        labels = {
            _(
                "{id} (period {period}, {respondents} respondents)",
                id=s["submission_id"],
                period=s["period"],
                respondents=s["respondents"],
            ): s["submission_id"]
            for s in active
        }
        choice = st.selectbox(_("Survey"), list(labels), key="survey_withdraw_choice")
        if st.button(_("Withdraw this survey"), key="survey_withdraw"):
            try:
                surveys.withdraw_survey(labels[choice], city, token, settings)
            except SpsError as exc:
                st.error(str(exc))
            else:
                st.success(_("{id} withdrawn: its microdata are deleted.", id=labels[choice]))


@functools.cache
def _audit_form_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return spaces.write_audit_form(Path(folder) / "sps_site_safety_audit.xlsx").read_bytes()


def _public_space_tab(settings) -> None:
    """A public-space layer (GeoJSON or GeoPackage) or site audits: check, then submit (sps space upload, sps audit
    upload), through pipelines.spaces.api."""
    st.markdown(
        _(
            "SDG 11.7.1 from your own inventory: send the city **boundary** (or its **districts**) first, then the "
            "**open spaces** (each with `space_id`, `type`, `access`) and, if you have them, **site safety audits** "
            "made with the SPS audit form. See the methodology page for what each layer needs."
        )
    )
    st.download_button(
        _("Audit form (XLSForm for KoboToolbox / ODK)"),
        _audit_form_bytes(),  # made once per process (the form only changes with the code)
        file_name="sps_site_safety_audit.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="audit-form",
    )
    city = st.text_input(_("Your city's code (Urban Audit)"), placeholder="ES003C", key="space_city").strip().upper()
    token = st.text_input(_("Upload token"), type="password", key="space_token")
    kind = st.radio(
        _("The file holds"),
        [*spaces.KINDS, "audits"],
        format_func=lambda k: _(KIND_WORDS.get(k, k)),
        horizontal=True,
        key="space-kind",
    )
    uploaded = st.file_uploader(
        _("Layer (GeoJSON, GeoPackage) or audits (CSV, XLSX)"),
        type=["geojson", "json", "gpkg", "csv", "xlsx"],
        key="space-file",
    )
    if not (city and token and uploaded):
        st.info(_("Enter your city code and token, say what the file holds, and choose it."))
        return
    mapping, repair, period = None, False, None
    if kind != "audits":
        lines = st.text_area(
            _("Your attribute names (one ATTRIBUTE=property a line, e.g. coddistrit=district_code)"), key="space-map"
        )
        repair = st.checkbox(_("Repair invalid polygons (make_valid; every repair is reported)"), key="space-repair")
        if kind == "open-spaces":
            period = st.text_input(_("Year of the inventory"), placeholder="2025", key="space-period").strip() or None
        try:
            mapping = spaces.LayerMapping.from_options([line for line in lines.splitlines() if line.strip()])
        except ValueError as exc:
            st.error(str(exc))
            return
    data = uploaded.getvalue()

    def send(check_only: bool):
        if kind == "audits":
            return spaces.submit_audit_upload(data, uploaded.name, city, token, settings, check_only=check_only)
        return spaces.submit_space_upload(
            data,
            uploaded.name,
            city,
            token,
            kind,
            settings,
            mapping=mapping,
            repair=repair,
            period=period,
            check_only=check_only,
        )

    try:
        checked = send(check_only=True)
    except SpsError as exc:
        st.error(str(exc))
        return
    if checked.problems:
        (st.error if checked.errors else st.warning)(
            _(
                "{errors} error(s) and {warnings} warning(s) in {file}.",
                errors=plain(len(checked.errors)),
                warnings=plain(len(checked.warnings)),
                file=uploaded.name,
            )
            + " "
            + (
                _("Nothing can be loaded until the errors are corrected.")
                if checked.errors
                else _("Warnings do not block.")
            )
        )
        table = problem_table(checked.problems[:PAGE_SIZE]).rename(columns={"line": "feature or line"})
        show_table(table)
        st.download_button(
            _("Download the whole report (CSV)"),
            lambda: spaces.report_csv(checked.problems),
            file_name=f"{uploaded.name}.report.csv",
            mime="text/csv",
            key="space-report",
        )
    else:
        st.success(
            _("{file}: {n} audit(s), no problems.", file=uploaded.name, n=plain(checked.items))
            if kind == "audits"
            else _("{file}: {n} feature(s), no problems.", file=uploaded.name, n=plain(checked.items))
        )
    if not checked.errors and st.button(_("Submit this file"), type="primary", key="space-submit"):
        result = send(check_only=False)
        if result.accepted:
            st.success(
                _("Submitted as {id}. It is computed and published by the next refresh.", id=result.submission_id)
            )
        else:  # pragma: no cover - the file was checked just above
            st.error(_("The file was rejected when stored; see the report above."))


KIND_WORDS = {"boundary": i18n.N_("boundary"), "districts": i18n.N_("districts"), "open-spaces": i18n.N_("open spaces"),
              "streets": i18n.N_("streets"), "audits": i18n.N_("audits")}  # fmt: skip
WEIGHTINGS = (i18n.N_("raked"), i18n.N_("design"), i18n.N_("unweighted"))  # check_survey's weightings
choose_language()
st.title(_("Upload your city's data"))
values_tab, survey_tab, space_tab = st.tabs(
    [_("Indicator values"), _("City survey (microdata)"), _("Public space and site audits")]
)
with values_tab:
    _values_tab(load_settings())
with survey_tab:
    _survey_tab(load_settings())
with space_tab:
    _public_space_tab(load_settings())
