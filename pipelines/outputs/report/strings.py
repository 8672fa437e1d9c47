"""The report's text catalogue: one YAML file per language in strings/, English first and complete.
A translation may be partial while it is being written; missing keys fall back to English."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from pipelines.outputs.report.errors import ReportError

STRINGS_DIR = Path(__file__).with_name("strings")
DEFAULT_LANG = "en"


def available_languages() -> list[str]:
    return sorted(p.stem for p in STRINGS_DIR.glob("*.yaml"))


@cache
def _load(lang: str) -> dict[str, str]:
    data = yaml.safe_load((STRINGS_DIR / f"{lang}.yaml").read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


class Strings:
    """`t("key", name=value)`: the text of `key` in the chosen language, placeholders filled in."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        if lang not in available_languages():
            raise ReportError(
                f"--lang {lang}: no report strings in that language (available: {', '.join(available_languages())}); "
                f"add pipelines/report/strings/{lang}.yaml"
            )
        self.lang = lang
        self._texts = {**_load(DEFAULT_LANG), **_load(lang)}

    def __call__(self, key: str, **values) -> str:
        try:
            text = self._texts[key]
        except KeyError:
            raise KeyError(f"report string {key!r} is not in strings/{DEFAULT_LANG}.yaml") from None
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._texts
