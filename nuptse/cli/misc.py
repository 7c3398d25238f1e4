"""``nuptse list-*-backends``: what storage, audio, IO and resampling backends are available.

``list-storage-types`` is kept as an alias of ``list-storage-backends``.
"""

from __future__ import annotations

import click


@click.command("list-storage-backends")
def list_storage_backends():
    """Feature/array storage backends; unavailable ones say what they need."""
    from nuptse.features.io import storage_backend_statuses

    for info in storage_backend_statuses():
        line = info.name
        if not info.available:
            line += f" (unavailable, requires: {info.install_hint})"
        click.echo(line)


@click.command("list-audio-backends")
def list_audio_backends():
    """Audio decoding backends available here, in the order they are tried."""
    from nuptse.audio import backend

    for name in backend.list_audio_backends():
        click.echo(name)


@click.command("list-io-backends")
def list_io_backends():
    """Manifest IO backends (how paths and URLs are opened)."""
    from nuptse import available_io_backends

    click.echo(available_io_backends())


@click.command("list-resampling-backends")
def list_resampling_backends():
    """Resampling backends."""
    from nuptse import available_resampling_backends

    click.echo(available_resampling_backends())
