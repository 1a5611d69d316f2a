"""Content packs: the models, and loading and validating them from YAML (no Telegram, no SQL)."""

from clicksbot.content.loader import load_content, load_pack_file
from clicksbot.content.models import (
    COMPETENCIES,
    QUESTION_KINDS,
    CheckupItem,
    Competency,
    Content,
    Pack,
    Problem,
    Question,
    Tip,
)

__all__ = [
    "COMPETENCIES",
    "QUESTION_KINDS",
    "CheckupItem",
    "Competency",
    "Content",
    "Pack",
    "Problem",
    "Question",
    "Tip",
    "load_content",
    "load_pack_file",
]
