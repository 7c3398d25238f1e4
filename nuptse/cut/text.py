"""Text-only examples, for datasets that mix text with audio cuts (lhotse's ``lhotse.cut.text``).

>>> ex = TextExample("hello world", tokens=[5, 9])
>>> ex.num_tokens, TextPairExample(ex, TextExample("hallo welt", [3])).num_tokens
(2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from nuptse.supervision.custom import CustomFieldMixin

__all__ = ["TextExample", "TextPairExample"]


@dataclass
class TextExample(CustomFieldMixin):
    """One text, optionally tokenized (``tokens``: a sequence or array of ids)."""

    text: str
    tokens: Optional[Any] = None
    custom: Optional[dict[str, Any]] = None

    @property
    def num_tokens(self) -> Optional[int]:
        """How many tokens there are (None when not tokenized)."""
        return None if self.tokens is None else len(self.tokens)


@dataclass
class TextPairExample(CustomFieldMixin):
    """A source and a target text (e.g. for translation); counts the source's tokens."""

    source: TextExample
    target: TextExample
    custom: Optional[dict[str, Any]] = None

    @property
    def num_tokens(self) -> Optional[int]:
        """The source's token count (as lhotse counts a pair)."""
        return self.source.num_tokens
