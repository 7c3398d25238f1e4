"""Training-side data: samplers, datasets, collation and per-batch transforms.

Names are re-exported lazily (as in :mod:`nuptse`), so importing
``nuptse.dataset`` stays cheap until a class is used.  The samplers live in
:mod:`nuptse.dataset.sampling`.
"""

from __future__ import annotations

from nuptse.exports import lazy_exports

# name -> module that defines it.  Samplers first, then the dataset side.
_EXPORTS: dict[str, str] = {
    # --- sampling (nuptse.dataset.sampling) ---
    # --- datasets, collation, input strategies, transforms ---
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports("nuptse.dataset", _EXPORTS, globals())
