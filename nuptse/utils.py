"""Public helpers, at lhotse's ``lhotse.utils`` path.

This module re-exports; time arithmetic lives in :mod:`nuptse.timing`.
"""
