"""``nuptse copy|combine|subset|filter|split|split-lazy|copy-feats``: whole-manifest operations.

Every command reads any manifest type (recordings, supervisions, features,
cuts) and writes the same type; ``.jsonl(.gz)`` inputs are streamed.
"""

from __future__ import annotations

from pathlib import Path

import click

_IN = click.Path(exists=True, dir_okay=False)


@click.command("copy")
@click.argument("input_manifest", type=_IN)
@click.argument("output_manifest", type=click.Path())
def copy(input_manifest, output_manifest):
    """Load INPUT_MANIFEST and store it to OUTPUT_MANIFEST.

    The formats follow the file names (.json, .jsonl, .yaml, each optionally
    .gz), so this converts between them.
    """
    from nuptse.cli._common import load_lazy_or_eager

    load_lazy_or_eager(input_manifest).to_file(output_manifest)


@click.command("combine")
@click.argument("manifests", nargs=-1, type=_IN)
@click.argument("output_manifest", type=click.Path())
def combine(manifests, output_manifest):
    """Load MANIFESTS, combine them into one and write it to OUTPUT_MANIFEST.

    All inputs must hold the same manifest type; items keep their order.
    """
    from nuptse.cli._common import load_lazy_or_eager

    if not manifests:
        raise click.UsageError("give at least one manifest to combine")
    loaded = [load_lazy_or_eager(m) for m in manifests]
    kinds = {type(m).__name__ for m in loaded}
    if len(kinds) > 1:
        raise click.UsageError(f"cannot combine different manifest types: {sorted(kinds)}")
    _write_items(type(loaded[0]), (item for m in loaded for item in m), output_manifest)


def _write_items(cls, items, output_manifest) -> int:
    """Write ``items`` of set type ``cls``: streamed for JSONL, eagerly otherwise."""
    n = 0
    if ".jsonl" in Path(output_manifest).name:
        with cls.open_writer(output_manifest) as writer:
            for item in items:
                writer.write(item)
                n += 1
        return n
    eager = cls.from_items(list(items))
    eager.to_file(output_manifest)
    return len(eager)


@click.command("subset")
@click.argument("manifest", type=_IN)
@click.argument("output_manifest", type=click.Path())
@click.option("--first", type=int, help="Keep the first N items.")
@click.option("--last", type=int, help="Keep the last N items.")
@click.option(
    "--cutids",
    type=str,
    help="Cut ids to keep: a JSON list, or the path of a JSON file holding one "
    '(e.g. --cutids \'["cut1", "cut2"]\').',
)
def subset(manifest, output_manifest, first, last, cutids):
    """Select the FIRST or LAST N items of MANIFEST (or --cutids of a CutSet) into OUTPUT_MANIFEST."""
    import json
    import os

    from nuptse.cli._common import load_lazy_or_eager

    data = load_lazy_or_eager(manifest)
    ids = None
    if cutids is not None:
        if os.path.exists(cutids):
            with open(cutids, encoding="utf-8") as f:
                ids = json.load(f)
        else:
            try:
                ids = json.loads(cutids)
            except json.JSONDecodeError as e:
                raise click.BadParameter(
                    f"neither a file nor a JSON list: {cutids!r} ({e})", param_hint="--cutids"
                ) from None
        if not isinstance(ids, list):
            raise click.BadParameter("expected a JSON list of cut ids", param_hint="--cutids")
    if type(data).__name__ == "CutSet":
        out = data.subset(first=first, last=last, cut_ids=ids)
    else:
        if ids is not None:
            raise click.UsageError(
                f"--cutids needs a CutSet; {manifest} holds a {type(data).__name__}"
            )
        out = data.subset(first=first, last=last)
    out.to_file(output_manifest)


_OPS = ("==", "!=", ">=", "<=", "=", ">", "<")


def parse_predicate(predicate: str):
    """``'duration>4.5'`` -> ``(attribute, test)``; ``=``/``==``/``!=`` compare with math.isclose."""
    import math
    import operator
    import re

    match = re.fullmatch(
        r"\s*(\w+)\s*(==|!=|>=|<=|=|>|<)\s*(-?[0-9.]+(?:[eE][-+]?\d+)?)\s*", predicate
    )
    if match is None:
        raise click.BadParameter(
            f"{predicate!r}: expected ATTRIBUTE OP NUMBER with OP one of "
            f"{' '.join(_OPS)} (e.g. 'duration>4.5')",
            param_hint="PREDICATE",
        )
    key, op, raw = match.groups()
    try:
        value: float = int(raw)
    except ValueError:
        value = float(raw)
    compare = {
        "<": operator.lt,
        ">": operator.gt,
        "<=": operator.le,
        ">=": operator.ge,
        "=": math.isclose,
        "==": math.isclose,
        "!=": lambda a, b: not math.isclose(a, b),
    }[op]
    return key, lambda item: compare(getattr(item, key), value)


@click.command("filter")
@click.argument("predicate")
@click.argument("manifest", type=_IN)
@click.argument("output_manifest", type=click.Path())
def filter_(predicate, manifest, output_manifest):
    """Keep the items of MANIFEST for which PREDICATE holds; write them to OUTPUT_MANIFEST.

    \b
    PREDICATE compares a numeric attribute of the items with a number:
      nuptse filter 'duration>4.5' supervisions.jsonl.gz long.jsonl.gz
      nuptse filter 'num_frames<600' cuts.jsonl.gz short.jsonl.gz
      nuptse filter 'channel!=0' recordings.jsonl.gz other.jsonl.gz
    """
    from nuptse.cli._common import load_lazy_or_eager

    key, test = parse_predicate(predicate)
    data = load_lazy_or_eager(manifest)
    kept = []
    for item in data:
        if not hasattr(item, key):
            raise click.UsageError(
                f"items of {manifest} ({type(item).__name__}) have no attribute {key!r}"
            )
        if test(item):
            kept.append(item)
    if not kept:
        click.echo("No items satisfying the predicate.", err=True)
        return
    type(data).from_items(kept).to_file(output_manifest)


@click.command("split")
@click.argument("num_splits", type=int)
@click.argument("manifest", type=_IN)
@click.argument("output_dir", type=click.Path())
@click.option("-s", "--shuffle", is_flag=True, help="Shuffle the items before splitting.")
@click.option(
    "--pad/--no-pad",
    default=True,
    show_default=True,
    help="Zero-pad the split index (00, 01, ..., 10).",
)
@click.option("-i", "--start-idx", type=int, default=0, show_default=True, help="First index.")
def split(num_splits, manifest, output_dir, shuffle, pad, start_idx):
    """Split MANIFEST into NUM_SPLITS equal parts saved in OUTPUT_DIR.

    Part i of ``cuts.jsonl.gz`` is written as ``OUTPUT_DIR/cuts.<i>.jsonl.gz``
    (zero-padded to the width of NUM_SPLITS unless --no-pad).
    For very large manifests prefer ``nuptse split-lazy``.
    """
    from nuptse.cli._common import load_lazy_or_eager

    if num_splits < 1:
        raise click.BadParameter(f"must be >= 1, got {num_splits}", param_hint="NUM_SPLITS")
    src = Path(manifest)
    suffix = "".join(src.suffixes)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = load_lazy_or_eager(src).split(num_splits=num_splits, shuffle=shuffle)
    width = len(str(num_splits))
    for idx, part in enumerate(parts, start=start_idx):
        tag = str(idx).zfill(width) if pad else str(idx)
        # cuts.jsonl.gz -> cuts.<tag>.jsonl.gz: the stem's last suffix gives way to the
        # tag and all of the input's suffixes (lhotse's naming).
        part.to_file((out / src.stem).with_suffix(f".{tag}{suffix}"))


@click.command("split-lazy")
@click.argument("manifest", type=_IN)
@click.argument("output_dir", type=click.Path())
@click.argument("chunk_size", type=int)
@click.option("-i", "--start-idx", type=int, default=0, show_default=True, help="First index.")
def split_lazy(manifest, output_dir, chunk_size, start_idx):
    """Split MANIFEST (streamed if JSONL) into chunks of CHUNK_SIZE items in OUTPUT_DIR.

    Chunks are named ``OUTPUT_DIR/<manifest stem>.<index>.jsonl.gz``.
    """
    from nuptse.cli._common import load_lazy_or_eager

    if chunk_size < 1:
        raise click.BadParameter(f"must be >= 1, got {chunk_size}", param_hint="CHUNK_SIZE")
    src = Path(manifest)
    load_lazy_or_eager(src).split_lazy(
        output_dir=Path(output_dir), chunk_size=chunk_size, prefix=src.stem, start_idx=start_idx
    )


@click.command("copy-feats")
@click.argument("input_manifest", type=_IN)
@click.argument("output_manifest", type=click.Path())
@click.argument("storage_path", type=click.Path())
@click.option(
    "-t",
    "--storage-type",
    default=None,
    help="Writer of the copy (see list-storage-backends); default: lilcom_chunky, or "
    "$NUPTSE_FEATURES_STORAGE_BACKEND.",
)
@click.option(
    "-j",
    "--max-jobs",
    type=int,
    default=-1,
    help="Accepted for lhotse compatibility; the copy runs in one process.",
)
def copy_feats(input_manifest, output_manifest, storage_path, storage_type, max_jobs):
    """Copy every feature matrix of a FeatureSet or CutSet into new storage at STORAGE_PATH."""
    import dataclasses

    from tqdm.auto import tqdm

    from nuptse.cli._common import load_any, summary
    from nuptse.features.io import get_writer

    manifest = load_any(input_manifest)
    kind = type(manifest).__name__
    if kind not in ("FeatureSet", "CutSet"):
        raise click.UsageError(
            f"{input_manifest} holds a {kind}; copy-feats needs features or cuts"
        )
    from nuptse.cli.feat import _storage_type

    storage_type = _storage_type(storage_type)
    copied = 0
    out_items = []
    with get_writer(storage_type)(storage_path, mode="w") as writer:
        for item in tqdm(manifest, desc="Copying features"):
            feats = item if kind == "FeatureSet" else getattr(item, "features", None)
            if feats is None:
                out_items.append(item)
                continue
            arr = feats.load() if kind == "FeatureSet" else item.load_features()
            key = writer.write(item.id if kind == "CutSet" else _feature_key(feats, copied), arr)
            new = dataclasses.replace(
                feats,
                storage_type=writer.name,
                storage_path=str(writer.storage_path),
                storage_key=key,
            )
            if kind == "CutSet":
                new = dataclasses.replace(
                    new, start=item.start, duration=item.duration, num_frames=arr.shape[0]
                )
                new = dataclasses.replace(item, features=new)
            out_items.append(new)
            copied += 1
    type(manifest).from_items(out_items).to_file(output_manifest)
    summary(
        "Copied features",
        [
            ("matrices", copied),
            ("storage", f"{storage_type} at {storage_path}"),
            ("manifest", output_manifest),
        ],
    )


def _feature_key(feats, index: int) -> str:
    base = feats.recording_id or "feats"
    return f"{base}-{index}"
