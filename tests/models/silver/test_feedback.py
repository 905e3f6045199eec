"""Feedback: the text analysis (language, sentiment, topics, priority) and silver.ces_clean_feedback."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections import Counter
from datetime import date
from decimal import Decimal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from databank.context import Databank
from databank.demo.generator.phrases import TONES, TOPICS, VARIANTS, all_texts
from databank.demo.generator.vocab import LANGUAGES
from databank.engines import Engine
from databank.models.meta._feedback import analyse, priority_score
from databank.models.meta._feedback.sentiment import compound, label
from databank.transform.runner import Runner
from models.silver.helpers import ok, rows, write


def _vader_compound(score: float) -> float:
    """VADER's normalisation, written out: x / sqrt(x² + 15)."""
    return round(score / math.sqrt(score * score + 15), 4)


def test_labels_follow_vaders_thresholds() -> None:
    assert [label(s) for s in (0.05, 0.0499, 0.0, -0.0499, -0.05, None)] == [
        "positive",
        "neutral",
        "neutral",
        "neutral",
        "negative",
        "unscored",
    ]


def test_english_is_vader() -> None:
    text = "The parcel was late and nobody answered my emails. Terrible!"
    assert (
        compound(text, "en")
        == SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
        < -0.5
    )


def test_lexicon_languages() -> None:
    # schlecht* is -2.5; `nicht` before it multiplies by -0.74: 1.85
    assert compound("nicht schlecht", "de") == _vader_compound(-2.5 * -0.74) == 0.431
    # sehr (+0.293) enttäuscht (-2.0), the phrase "nie wieder" (-2.8), one "!" (0.292)
    assert compound("Sehr enttäuscht. Nie wieder!", "de") == _vader_compound(-2.293 - 2.8 - 0.292)
    assert compound("Très déçu, le colis est arrivé cassé.", "fr") < -0.5
    assert compound("¡Una experiencia genial! La entrega fue rápida.", "es") > 0.5
    assert compound("Geweldige ervaring, snelle levering.", "nl") > 0.5
    assert compound("Bardzo dobry produkt", "pl") is None  # no lexicon: not scored


def test_languages_declared_detected_unknown() -> None:
    found = analyse(
        [
            "Delivery was fast.",
            "Die Lieferung war schnell und gut.",
            "La livraison était rapide et parfaite.",
            "Bardzo dobry produkt, polecam wszystkim.",
            "!!! 123",
        ],
        ["de", None, None, None, None],
        [None] * 5,
    )
    assert [a.language for a in found] == [
        "de",
        "de",
        "fr",
        "pl",
        "unknown",
    ]  # a declared language wins
    assert [a.sentiment_label for a in found[3:]] == ["unscored", "unscored"]


def test_categories_topics_escalation() -> None:
    (de, fr, en) = analyse(
        [
            "Die Lieferung kam zu spät und das Paket war beschädigt.",
            "Le colis est arrivé en retard, mais le service client était très aimable.",
            "Overpriced and it broke. I want my money back or I call my lawyer.",
        ],
        ["de", "fr", "en"],
        [2, 3, 1],
    )
    assert (de.categories, de.key_topics, de.escalation) == (
        ("delivery", "quality"),
        ("late_delivery", "damaged_item"),
        False,
    )
    assert (fr.categories, fr.key_topics) == (
        ("delivery", "support"),
        ("late_delivery", "helpful_support"),
    )
    assert set(en.categories) == {"price", "quality", "returns"} and en.escalation
    assert {"price_too_high", "damaged_item"} <= set(en.key_topics)


def test_priority_formula() -> None:
    assert priority_score(1, -1.0, True) == 1.0
    assert priority_score(5, 1.0, False) == 0.0
    assert priority_score(None, None, False) == 0.4  # 0.4 · 0.5 + 0.4 · 0.5
    assert priority_score(2, -0.5, False) == round(0.4 * 3 / 4 + 0.4 * 0.75, 4) == 0.6
    assert priority_score(9, 0.0, False) == 0.2  # ratings are clipped to 1 … 5


def test_demo_feedback_polarity() -> None:
    """On the demo generator's texts (tone known), positive and negative reviews get their label."""
    texts = all_texts()
    cells = [
        (lang, tone)
        for lang in LANGUAGES
        for tone in TONES
        for _ in TOPICS
        for _ in range(VARIANTS)
    ]
    found = analyse(texts, [None] * len(texts), [None] * len(texts))
    assert [a.language for a in found] == [lang for lang, _ in cells]
    agree = Counter(
        lang
        for (lang, tone), a in zip(cells, found, strict=True)
        if tone != "neutral" and a.sentiment_label == tone
    )
    per_language = len(TOPICS) * VARIANTS * 2
    assert all(agree[lang] / per_language >= 0.85 for lang in LANGUAGES), agree


def _fb(fid: str, text: str, **extra: object) -> dict:
    return {
        "feedback_id": fid,
        "feedback_text": text,
        "submitted_at": "2024-03-20T08:00:00Z",
        **extra,
    }


def test_clean_feedback(bank: Databank, engine: Engine, runner: Runner) -> None:
    write(
        bank,
        "customers",
        [{"customer_id": "C1", "email": "ann@example.com", "registration_date": "2024-01-01"}],
    )
    fid = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    write(
        bank,
        "feedback",
        [
            _fb(
                "F1",
                "Very disappointed. My order arrived more than a week late.",
                rating=1,
                customer_id="C1",
                channel="survey",
                interaction_type="delivery",
            ),
            _fb(
                fid,
                "Tolle Erfahrung! Schnelle Lieferung.",
                rating=5,
                language="de",
                submitted_at="2024-03-20T23:30:00-03:00",
            ),
            _fb("F3", "Great!", rating=6),  # rating out of range: fails
            _fb("F4", "It was okay.", rating=3, customer_id="X9"),
        ],
        source_system="survey",
        failed=1,
    )
    write(
        bank,
        "feedback",
        [
            _fb(
                "F4",
                "Actually, the support was great and solved my problem.",
                rating=4,
                customer_id="X9",
            )
        ],
        source_system="survey",
    )
    ok(runner.run())

    got = rows(engine, "silver.ces_clean_feedback", "feedback_id")
    f1_id = str(uuid.UUID(hashlib.md5(b"F1").hexdigest()))
    f4_id = str(uuid.UUID(hashlib.md5(b"F4").hexdigest()))
    assert sorted(got) == sorted([f1_id, fid, f4_id])  # a UUID id is kept, others derived (md5)
    f1 = got[f1_id]
    person = rows(engine, "meta.customer_id_map", "source_customer_id")["C1"]["customer_id"]
    assert (f1["customer_id"], f1["rating"], f1["channel"], f1["interaction_type"]) == (
        person,
        Decimal(1),
        "survey",
        "delivery",
    )
    assert f1["sentiment_score"] == Decimal(
        str(
            SentimentIntensityAnalyzer().polarity_scores(
                "Very disappointed. My order arrived more than a week late."
            )["compound"]
        )
    )
    assert (f1["sentiment_label"], f1["categories"], f1["key_topics"]) == (
        "negative",
        ("delivery",),
        ("late_delivery",),
    )
    assert f1["priority_score"] == Decimal(
        str(priority_score(1, float(f1["sentiment_score"]), False))
    )
    assert f1["submission_date"] == date(2024, 3, 20)
    de = got[fid]
    assert (de["sentiment_label"], de["submission_date"], de["customer_id"]) == (
        "positive",
        date(2024, 3, 21),
        None,
    )
    f4 = got[f4_id]  # the latest version; an unknown customer keeps the source id
    assert (f4["rating"], f4["customer_id"], f4["key_topics"]) == (
        Decimal(4),
        "X9",
        ("helpful_support",),
    )
    analysed = engine.fetch_value("SELECT count(*) FROM meta.feedback_analysis")
    assert analysed == 4  # every passed bronze record (both F4 versions), never the failed one
