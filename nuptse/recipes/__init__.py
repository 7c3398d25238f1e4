"""Corpus preparation recipes: turn a corpus folder into manifests.

>>> from nuptse.recipes import prepare_librispeech
"""

from nuptse.recipes.librispeech import prepare_librispeech

__all__ = ["prepare_librispeech"]
