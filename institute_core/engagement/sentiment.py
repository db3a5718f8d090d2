"""Sentiment of a comment, computed offline with VADER's lexicon (it ships with the package:
no network, no model download). Non-English text mostly scores neutral, which is stored as such."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from institute_core.enums import Sentiment

# VADER's documented thresholds on the compound score.
POSITIVE_FROM = 0.05
NEGATIVE_UPTO = -0.05


@cache
def _analyzer() -> Any:
    # Imported when first needed: the lexicon load costs ~50 ms, only screens recording feedback
    # pay it.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str | None, rating: int | None = None
                 ) -> tuple[Sentiment, Decimal] | None:
    """The label and compound score (-1 … 1, four places) of `text`; None without text.

    The lexicon decides when the words carry sentiment. Complaints in plain words ("sessions
    start late") score neutral in VADER; then a rating of 1–2 or 4–5 gives the label.
    """
    if not text or not text.strip():
        return None
    compound = float(_analyzer().polarity_scores(text)["compound"])
    label = (Sentiment.POSITIVE if compound >= POSITIVE_FROM else
             Sentiment.NEGATIVE if compound <= NEGATIVE_UPTO else Sentiment.NEUTRAL)
    if label == Sentiment.NEUTRAL and rating is not None and rating != 3:
        label = Sentiment.NEGATIVE if rating <= 2 else Sentiment.POSITIVE
    return label, Decimal(str(round(compound, 4)))


def words_label(score: Decimal | float) -> Sentiment:
    """What the words alone say, by VADER's thresholds."""
    value = float(score)
    return (Sentiment.POSITIVE if value >= POSITIVE_FROM else
            Sentiment.NEGATIVE if value <= NEGATIVE_UPTO else Sentiment.NEUTRAL)


def describe_sentiment(label: str, score: Decimal | float | None) -> str:
    """The label as a person reads it: "Negative (words −0.62)", or, when the words were
    neutral and the rating decided, "Negative (by the rating; the words are neutral)" – never
    "negative (+0.00)", which reads as a contradiction."""
    text = label.capitalize()
    if score is None:
        return text
    if words_label(score) != label:
        return f"{text} (by the rating; the words are {words_label(score).value})"
    return f"{text} (words {float(score):+.2f})".replace("-", "−")
