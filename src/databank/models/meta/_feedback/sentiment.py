"""Sentiment of one feedback text: VADER for English, a small lexicon for de/fr/es/nl, else none.

- English: VADER's compound score (`vaderSentiment`, which ships its lexicon), -1 … +1.
- German, French, Spanish, Dutch: the same arithmetic on the hand-made lexicons of `lexicon.py`:
  each sentiment word adds its valence; a negator up to 3 words before it (in the same clause)
  multiplies it by -0.74; a booster just before it adds 0.293 to its size; each `!` (at most 4)
  adds 0.292 in the direction of the sum; compound = sum / sqrt(sum² + 15). These are VADER's own
  constants, so scores are comparable in scale.
- Any other language, or an unknown one: not scored (score NULL, label `unscored`).

Labels follow VADER's recommended thresholds: positive when compound >= 0.05, negative when
<= -0.05, else neutral.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from databank.errors import MissingExtraError
from databank.models.meta._feedback.lexicon import BOOSTERS, NEGATORS, VALENCE
from databank.models.meta._feedback.text import Matcher, clauses, normalise

LEXICON_LANGUAGES = tuple(VALENCE)
SCORED_LANGUAGES = ("en", *LEXICON_LANGUAGES)
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
UNSCORED = "unscored"
LABELS = ("positive", "neutral", "negative", UNSCORED)
_NEGATION = -0.74  # VADER N_SCALAR
_BOOST = 0.293  # VADER B_INCR
_EXCLAIM = 0.292  # VADER, per exclamation mark
_ALPHA = 15  # VADER normalisation constant
NEGATION_WINDOW = 3


@cache
def _vader() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        raise MissingExtraError("vaderSentiment", "ml") from None
    return SentimentIntensityAnalyzer()


@cache
def _lexicon(language: str) -> tuple[Matcher[float], frozenset[str], frozenset[str]]:
    matcher = Matcher.build(VALENCE[language].items())
    negators = frozenset(normalise(w) for w in NEGATORS[language])
    boosters = frozenset(normalise(w) for w in BOOSTERS[language])
    return matcher, negators, boosters


def compound(text: str, language: str) -> float | None:
    """The compound score of `text` (-1 … +1), or None when its language is not scored."""
    if language == "en":
        return float(_vader().polarity_scores(text)["compound"])
    if language not in VALENCE:
        return None
    total = _lexicon_sum(normalise(text), language)
    if total:
        bangs = min(text.count("!"), 4)
        total += math.copysign(bangs * _EXCLAIM, total)
    return round(total / math.sqrt(total * total + _ALPHA), 4)


def _lexicon_sum(text: str, language: str) -> float:
    matcher, negators, boosters = _lexicon(language)
    total = 0.0
    for tokens in clauses(text):
        i = 0
        while i < len(tokens):
            phrase = matcher.phrase_at(tokens, i)
            if phrase is not None:
                width, valence = phrase
            else:
                values = matcher.word_values(tokens[i])
                width, valence = 1, (values[0] if values else 0.0)
            if valence:
                if i > 0 and tokens[i - 1] in boosters:
                    valence += math.copysign(_BOOST, valence)
                if any(t in negators for t in tokens[max(0, i - NEGATION_WINDOW) : i]):
                    valence *= _NEGATION
                total += valence
            i += width
    return total


def label(score: float | None) -> str:
    """positive / neutral / negative by VADER's thresholds; `unscored` without a score."""
    if score is None:
        return UNSCORED
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"
