"""``nuptse copy-feats``, ``list-storage-types`` and ``list-audio-backends``."""

from __future__ import annotations

import click

from nuptse.cli._common import summary


@click.command("copy-feats")
@click.argument("input_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_manifest", type=click.Path())
@click.argument("storage_path", type=click.Path())
@click.option(
    "-t",
    "--storage-type",
    default="lilcom_chunky",
    show_default=True,
    help="Writer of the copy (see list-storage-types).",
)
def copy_feats(input_manifest, output_manifest, storage_path, storage_type):
    """Copy every feature matrix of a FeatureSet or CutSet into new storage."""
    from tqdm.auto import tqdm

    from nuptse.cli._common import load_any
    from nuptse.features.io import get_writer

    manifest = load_any(input_manifest)
    kind = type(manifest).__name__
    if kind not in ("FeatureSet", "CutSet"):
        raise click.UsageError(
            f"{input_manifest} holds a {kind}; copy-feats needs features or cuts"
        )
    writer_cls = get_writer(storage_type)
    copied = 0
    with writer_cls(storage_path, mode="w") as writer:
        if kind == "FeatureSet":
            out = []
            for f in tqdm(manifest, desc="Copying features"):
                out.append(
                    f.copy_feats(writer) if hasattr(f, "copy_feats") else _copy_one(f, writer)
                )
                copied += 1
            result = type(manifest).from_items(out)
        else:
            result_items = []
            for c in tqdm(manifest, desc="Copying features"):
                if c.has_features:
                    arr = c.load_features()
                    key = writer.write(c.id, arr)
                    feats = _replace(
                        c.features,
                        storage_type=writer.name,
                        storage_path=str(writer.storage_path),
                        storage_key=key,
                        start=c.start,
                        duration=c.duration,
                        num_frames=arr.shape[0],
                    )
                    c = _replace(c, features=feats)
                    copied += 1
                result_items.append(c)
            result = type(manifest).from_items(result_items)
    result.to_file(output_manifest)
    summary(
        "Copied features",
        [
            ("matrices", copied),
            ("storage", f"{storage_type} at {storage_path}"),
            ("manifest", output_manifest),
        ],
    )


def _replace(obj, **kwargs):
    import dataclasses

    return dataclasses.replace(obj, **kwargs)


def _copy_one(f, writer):
    arr = f.load()
    key = writer.write(f.storage_key.replace("/", "_") if f.storage_key else str(id(f)), arr)
    return _replace(
        f, storage_type=writer.name, storage_path=str(writer.storage_path), storage_key=key
    )


@click.command("list-storage-types")
def list_storage_types():
    """Feature storage types that can be written here."""
    from nuptse.features import io as fio

    names = None
    for fn in ("available_storage_backends", "list_storage_types"):
        if hasattr(fio, fn):
            names = list(getattr(fio, fn)())
            break
    if names is None:
        names = sorted(getattr(fio, "WRITERS", {}) or getattr(fio, "_WRITERS", {}))
    for name in names:
        click.echo(name)


@click.command("list-audio-backends")
def list_audio_backends():
    """Audio decoding backends available here, in the order they are tried."""
    from nuptse.audio import backend

    for name in backend.list_audio_backends():
        click.echo(name)
