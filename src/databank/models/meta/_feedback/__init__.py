"""Text analysis of customer feedback for silver (used by `models/meta/feedback_analysis.py`)."""

from databank.models.meta._feedback.analyse import (
    ANALYZER_VERSION,
    Analysis,
    analyse,
    priority_score,
)

__all__ = ["ANALYZER_VERSION", "Analysis", "analyse", "priority_score"]
