"""Small helpers shared by the subcommands (no heavy imports here)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click


def summary(title: str, rows: Sequence[tuple[str, object]]) -> None:
    """Print a titled two-column table: the one-screen summary each command ends with."""
    width = max((len(k) for k, _ in rows), default=0)
    click.echo("")
    click.echo(title)
    click.echo("-" * max(len(title), 20))
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with columns aligned."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [
        bool(rows) and all(isinstance(r[i], (int, float)) for r in rows) for i in range(len(header))
    ]
    lines = []
    for r in cells:
        lines.append(
            "  ".join(
                c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
            ).rstrip()
        )
        n = len(lines) - 1
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def hours(seconds: float) -> str:
    """``1234.5`` -> ``'0:20:34'``."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def load_any(path: str | Path):
    """Load a manifest of any type (eagerly)."""
    from nuptse.manifest import load_manifest

    return load_manifest(path)


def load_lazy_or_eager(path: str | Path):
    """Open a ``.jsonl(.gz)`` manifest lazily, anything else eagerly."""
    from nuptse.manifest import load_manifest, load_manifest_lazy

    if ".jsonl" in Path(path).name:
        return load_manifest_lazy(path)
    return load_manifest(path)
