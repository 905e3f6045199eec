"""The language of each feedback text: the one the record declares, else detected by lingua.

- A record's `language` (ISO 639-1, validated at bronze) is taken as it is: the survey or review
  platform knows which language it asked in, and skipping detection keeps large batches fast.
- Otherwise `lingua-language-detector` (which ships its language models) detects among
  `DETECTED` — the languages expected from our markets — in low-accuracy mode (trigrams only:
  several times faster, and measured 100 % right on the demo's feedback texts), each distinct text
  of a batch once, in parallel. A text is `unknown` when it has no letters or lingua's confidence in its best
  language is below `MIN_CONFIDENCE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from databank.errors import MissingExtraError

DETECTED = ("en", "de", "fr", "es", "nl", "it", "pt", "sv", "pl", "da")
MIN_CONFIDENCE = 0.5
UNKNOWN = "unknown"


@cache
def _detector() -> Any:
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:
        raise MissingExtraError("lingua-language-detector", "ml") from None
    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in DETECTED
    ]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def languages(texts: Sequence[str], declared: Sequence[str | None]) -> list[str]:
    """The language code of each text (declared, detected, or `unknown`)."""
    found: list[str | None] = [
        d.strip().lower() if isinstance(d, str) and len(d.strip()) == 2 else None for d in declared
    ]
    todo: dict[str, list[int]] = {}  # each distinct text is detected once
    for i, code in enumerate(found):
        if code is None and any(c.isalpha() for c in texts[i]):
            todo.setdefault(texts[i], []).append(i)
    if todo:
        distinct = list(todo)
        results = _detector().compute_language_confidence_values_in_parallel(distinct)
        for text, values in zip(distinct, results, strict=True):
            if values and values[0].value >= MIN_CONFIDENCE:
                code = values[0].language.iso_code_639_1.name.lower()
                for i in todo[text]:
                    found[i] = code
    return [code or UNKNOWN for code in found]
