"""The languages SPS Monitor speaks: gettext catalogues, the reader's language, numbers and dates per locale.

- Catalogues: one gettext domain, `sps`, in `locales/<lang>/LC_MESSAGES/sps.po` (the format translators' tools
  read: Weblate, Poedit, Crowdin), extracted by Babel with `babel.cfg` (`make messages`) and compiled to `.mo` by
  `make install` (`python -m pipelines.shared.i18n`, Babel's compiler). A `.po` newer than its `.mo` (or with no
  `.mo`: a fresh clone that skipped `make install`) is compiled in memory on first use, so a stale `.mo` can never
  hide a translation.
- The language is a context variable: each dashboard session's script thread, or one `sps report --lang fr`, sets
  its own; nothing global changes when two readers use two languages at the same time.
- Numbers, percentages and dates go through Babel (CLDR): a decimal comma in fr, es, it, nl, pl, lv and fi, the
  locale's grouping. Only what people read is formatted: CSV/XLSX/SDMX downloads and exports keep dot decimals and
  codes whatever the language (docs/adr/0023-languages-gettext-and-catalogue-translations.md).
"""

from __future__ import annotations

import gettext as _gettext
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

# The eight languages of the partnership cities, in their own names (the picker shows these).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pl": "Polski",
    "lv": "Latviešu",
    "fi": "Suomi",
}
DEFAULT_LANGUAGE = "en"
DOMAIN = "sps"
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"

_language: ContextVar[str] = ContextVar("sps_language", default=DEFAULT_LANGUAGE)


def normalise_language(value: str | None) -> str | None:
    """'fr', 'FR', 'fr-BE', 'fr_FR' -> 'fr'; None for a language SPS Monitor does not speak."""
    if not value:
        return None
    code = re.split(r"[-_]", str(value).strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


def set_language(lang: str | None) -> str:
    """Make `lang` the language of this thread or task (unknown or empty: English); returns the one set."""
    chosen = normalise_language(lang) or DEFAULT_LANGUAGE
    _language.set(chosen)
    return chosen


def language() -> str:
    return _language.get()


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """`with using("fr"):` everything inside speaks French; the previous language comes back afterwards."""
    token = _language.set(normalise_language(lang) or DEFAULT_LANGUAGE)
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def catalogue_paths(lang: str) -> tuple[Path, Path]:
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `lang`: its .mo when current, else its .po compiled in memory (Babel's own
    compiler, the same `pybabel compile` runs); English and unknown languages return the messages as written."""
    if lang == DEFAULT_LANGUAGE or lang not in LANGUAGES:
        return _gettext.NullTranslations()
    po, mo = catalogue_paths(lang)
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if not po.exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as pybabel compile does
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def compile_catalogues(locales_dir: Path | None = None) -> dict[str, int]:
    """Write every language's `.mo` beside its `.po` with Babel's compiler (`make install`); returns the messages
    compiled per language. Not `pybabel compile`: Babel flags any msgid where a '%' is followed by a space and a
    letter ("95 % confidence") as a %-format and then fails the whole compile on "placeholders are incompatible",
    although our messages use `{name}` placeholders only (tests/unit/test_catalogues.py checks those)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = {}
    for lang in LANGUAGES:
        folder = (locales_dir or LOCALES_DIR) / lang / "LC_MESSAGES"
        po = folder / f"{DOMAIN}.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang, domain=DOMAIN)
        with (folder / f"{DOMAIN}.mo").open("wb") as fh:
            write_mo(fh, catalog)  # fuzzy entries are left out, as pybabel compile does
        compiled[lang] = sum(1 for m in catalog if m.id and m.string and not m.fuzzy)
    translations.cache_clear()
    return compiled


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined (a module-level table); it is translated where used."""
    return message


def gettext(message: str) -> str:
    return translations(language()).gettext(message)


def data_text(value):
    """A word of the published data or of a seed (a flag's meaning, a survey's mode, an assessment) in the current
    language when the catalogues have it, as published otherwise. Not an extraction keyword: the words themselves
    are extracted where they are written (babel.cfg's seed columns, N_() tables)."""
    return translations(language()).gettext(value) if isinstance(value, str) and value else value


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(language()).pgettext(context, message)


def translate(message: str, **values) -> str:
    """The message in the current language with its {placeholders} filled in (values are never translated)."""
    text = gettext(message)
    return text.format(**values) if values else text


# --- numbers and dates (Babel, CLDR) ------------------------------------------------------------------------------


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def format_number(value, decimals: int = 0, lang: str | None = None, missing: str = "—") -> str:
    """1234.5 -> '1,234.5' (en), '1 234,5' (fr), '1.234,5' (es), '1 234,5' (lv): `decimals` digits always shown."""
    if _missing(value):
        return missing
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(float(value), format=pattern, locale=lang or language(), decimal_quantization=True)


def format_signed(value, decimals: int = 0, lang: str | None = None, missing: str = "—") -> str:
    """A change with its sign: '+1.5', '−0,3' (the locale's plus and minus signs)."""
    if _missing(value):
        return missing
    from babel.numbers import get_plus_sign_symbol

    text = format_number(value, decimals, lang, missing)
    return text if float(value) < 0 or text.lstrip("0,. ") == "" else get_plus_sign_symbol(lang or language()) + text


def format_integer(value, lang: str | None = None, missing: str = "—") -> str:
    return format_number(value, 0, lang, missing)


def format_percent(value, decimals: int = 0, lang: str | None = None, missing: str = "—") -> str:
    """A share (0.61) as a percentage: '61 %' (fr), '61%' (en); the locale puts the sign and its space."""
    if _missing(value):
        return missing
    from babel.numbers import format_percent as babel_percent

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return babel_percent(float(value), format=pattern, locale=lang or language(), decimal_quantization=True)


def format_date(value, lang: str | None = None, style: str = "medium", missing: str = "—") -> str:
    """A date for people: 'Dec 4, 2026' (en), '4 déc. 2026' (fr), '2026. gada 4. dec.' (lv)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    from babel.dates import format_date as babel_date

    if isinstance(value, str):
        value = datetime.fromisoformat(value[:10]).date()
    elif isinstance(value, datetime):
        value = value.date()
    elif hasattr(value, "date") and not isinstance(value, date):  # pandas Timestamp
        value = value.date()
    return babel_date(value, format=style, locale=lang or language())


def decimal_symbol(lang: str | None = None) -> str:
    from babel.numbers import get_decimal_symbol

    return get_decimal_symbol(lang or language())


def group_symbol(lang: str | None = None) -> str:
    from babel.numbers import get_group_symbol

    return get_group_symbol(lang or language())


def vega_locale(lang: str | None = None) -> dict:
    """The number locale of Vega-Lite charts (config.locale.number, d3-format), from Babel's: axes, legends and
    tooltips then print '61,5' in French like the rest of the page."""
    lang = lang or language()
    return {
        "number": {
            "decimal": decimal_symbol(lang),
            "thousands": group_symbol(lang),
            "grouping": [3],
            "currency": ["", "\u00a0€"],
            "minus": "\u2212" if lang in ("fi", "lv") else "-",
            "percent": "\u202f%" if lang == "fr" else ("\u00a0%" if lang in ("fi", "lv", "pl") else "%"),
        }
    }


# --- extraction of seed texts (babel.cfg) -------------------------------------------------------------------------


def extract_csv(fileobj, keywords, comment_tags, options):
    """Babel extractor for the seeds whose words are shown (flags' meanings, survey registry texts): yields the
    non-empty cells of the columns named in babel.cfg (`columns = meaning, ...`), each one message."""
    import csv

    columns = [c.strip() for c in options.get("columns", "").split(",") if c.strip()]
    reader = csv.DictReader(io.TextIOWrapper(fileobj, encoding="utf-8"))
    for line, row in enumerate(reader, start=2):
        for column in columns:
            value = (row.get(column) or "").strip()
            if value:
                yield line, "gettext", value, [f"seed column {column}"]


if __name__ == "__main__":  # `make install`: python -m pipelines.shared.i18n
    for _lang, _count in compile_catalogues().items():
        print(f"locales/{_lang}: {_count} messages compiled")
