"""Optional modules and environment switches."""

from __future__ import annotations

import importlib.util
import logging
import os

logger = logging.getLogger(__name__)


def is_module_available(*modules: str) -> bool:
    """Whether every named module can be imported, checked without importing it.

    >>> is_module_available("json", "math")
    True
    >>> is_module_available("surely_not_an_installed_module")
    False
    """
    return all(importlib.util.find_spec(m) is not None for m in modules)


def is_torchaudio_available() -> bool:
    """Whether torchaudio is installed."""
    return is_module_available("torchaudio")


def is_torchcodec_available() -> bool:
    """Whether torchcodec is installed."""
    return is_module_available("torchcodec")


def during_docs_build() -> bool:
    """True while Read the Docs builds the documentation (``READTHEDOCS`` is set)."""
    return bool(os.environ.get("READTHEDOCS"))


def _env_flag(*names: str) -> bool:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip().lower() not in ("", "0", "false", "no"):
            return True
    return False


#: Set through :func:`nuptse.lazy.set_dill_enabled`.
_DILL_ENABLED = False


def is_dill_enabled() -> bool:
    """Whether lambdas in lazy manifests are pickled with dill.

    On when :func:`nuptse.lazy.set_dill_enabled` turned it on, or when the
    environment variable ``NUPTSE_DILL_ENABLED`` (or lhotse's
    ``LHOTSE_DILL_ENABLED``) is set to a true value.
    """
    return _DILL_ENABLED or _env_flag("NUPTSE_DILL_ENABLED", "LHOTSE_DILL_ENABLED")
