"""Analyse a batch of feedback texts: language, sentiment, categories, key topics, priority.

Texts are analysed once per distinct (text, language) in a batch — feedback repeats itself ("Great
service!") and the demo's generator draws from a few hundred sentences — and language detection
runs over the whole batch in parallel (see `language.py`).

priority_score (0 … 1, higher = handle first), rounded to 4 decimals:

    0.4 · (5 − rating) / 4          low stars (rating clipped to 1 … 5; missing → 0.5 of the weight)
  + 0.4 · (1 − sentiment) / 2       negative text (unscored → 0.5 of the weight)
  + 0.2 · escalation                1 when an escalation word occurs (rules.ESCALATION), else 0

So a 1-star review scored -1 with "lawyer" in it is 1.0, a 5-star review scored +1 is 0.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from databank.models.meta._feedback import rules
from databank.models.meta._feedback.language import languages
from databank.models.meta._feedback.sentiment import compound, label
from databank.models.meta._feedback.text import Matcher, build_matchers, normalise, words

ANALYZER_VERSION = "feedback-analysis/1"  # bump when rules or lexicons change
RATING_WEIGHT, SENTIMENT_WEIGHT, ESCALATION_WEIGHT = 0.4, 0.4, 0.2


@dataclass(frozen=True)
class Analysis:
    """What the text analysis found in one feedback record."""

    language: str
    sentiment_score: float | None
    sentiment_label: str
    categories: tuple[str, ...]
    key_topics: tuple[str, ...]
    escalation: bool
    priority_score: float


@dataclass(frozen=True)
class _TextFindings:
    score: float | None
    categories: tuple[str, ...]
    topics: tuple[str, ...]
    escalation: bool


@cache
def _matchers() -> tuple[dict[str, Matcher[str]], dict[str, Matcher[str]], dict[str, Matcher[str]]]:
    categories = build_matchers(rules.CATEGORY_KEYWORDS)
    topics = build_matchers({name: keywords for name, (_, keywords) in rules.TOPICS.items()})
    escalation = build_matchers({"escalation": rules.ESCALATION})
    for matchers in (categories, topics, escalation):
        matchers["*"] = Matcher.build(
            pair for m in list(matchers.values()) for pair in m.keywords()
        )
    return categories, topics, escalation


def _findings(text: str, language: str) -> _TextFindings:
    category_m, topic_m, escalation_m = _matchers()
    key = language if language in topic_m else "*"
    tokens = words(normalise(text))
    topics = set(topic_m[key].find(tokens))
    categories = set(category_m[key].find(tokens)) | {rules.TOPICS[t][0] for t in topics}
    return _TextFindings(
        score=compound(text, language),
        categories=tuple(c for c in rules.CATEGORIES if c in categories),
        topics=tuple(t for t in rules.TOPICS if t in topics),
        escalation=bool(escalation_m[key].find(tokens)),
    )


def priority_score(rating: float | None, score: float | None, escalation: bool) -> float:
    """The documented priority formula (module docstring)."""
    stars = 0.5 if rating is None else (5 - min(5.0, max(1.0, float(rating)))) / 4
    tone = 0.5 if score is None else (1 - score) / 2
    value = RATING_WEIGHT * stars + SENTIMENT_WEIGHT * tone + ESCALATION_WEIGHT * float(escalation)
    return round(value, 4)


def analyse(
    texts: Sequence[str], declared: Sequence[str | None], ratings: Sequence[float | None]
) -> list[Analysis]:
    """One `Analysis` per text (declared languages and star ratings aligned with the texts)."""
    codes = languages(texts, declared)
    seen: dict[tuple[str, str], _TextFindings] = {}
    out = []
    for text, language, rating in zip(texts, codes, ratings, strict=True):
        found = seen.get((text, language))
        if found is None:
            found = seen[(text, language)] = _findings(text, language)
        out.append(
            Analysis(
                language=language,
                sentiment_score=found.score,
                sentiment_label=label(found.score),
                categories=found.categories,
                key_topics=found.topics,
                escalation=found.escalation,
                priority_score=priority_score(rating, found.score, found.escalation),
            )
        )
    return out
