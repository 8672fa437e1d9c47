"""Example data published as a city's (the examples/ folder's SYNTHETIC inventories, audits and surveys, tried in
a scratch data folder or by mistake in a real one) is labelled on every row it makes: the brief's rule that
synthetic data is never shown as if it were real."""

from __future__ import annotations

SYNTHETIC_NOTE = "SYNTHETIC example data, not the city's"


def is_synthetic(*texts: str | None) -> bool:
    """Whether a name or producer the city gave says the data are SYNTHETIC (the examples all do)."""
    return any(text and "SYNTHETIC" in text for text in texts)


def synthetic_note(note: str | None) -> str:
    """The row's note with the label first ("SYNTHETIC example data, not the city's: <note>"), never a dangling
    colon when the row had no note of its own."""
    note = (note or "").strip()
    return f"{SYNTHETIC_NOTE}: {note}" if note else f"{SYNTHETIC_NOTE}."
