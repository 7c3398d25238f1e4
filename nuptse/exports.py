"""Lazy re-exports for packages: names resolve to their module on first use.

Packages such as ``nuptse`` and ``nuptse.features`` re-export their main
classes without importing the modules that define them (and torch with them)
until a name is used.  A package can also list its *submodules*, so that
``import nuptse; nuptse.kaldi.load_kaldi_data_dir`` works without an explicit
``import nuptse.kaldi`` (as it does in lhotse, which imports them eagerly).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable


def lazy_exports(
    package: str,
    exports: dict[str, str],
    namespace: dict,
    submodules: Iterable[str] = (),
) -> tuple[Callable, Callable]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps each public name to the module that defines it; a
    resolved name is cached in ``namespace`` (the package's ``globals()``).
    ``submodules`` are names of ``package``'s submodules, imported on first
    attribute access.
    """
    submodules = frozenset(submodules)

    def __getattr__(name: str):
        module = exports.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports) | submodules)

    return __getattr__, __dir__
