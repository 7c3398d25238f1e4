"""``nuptse shar export|compute-features|import``: the sharded tar format."""

from __future__ import annotations

from pathlib import Path

import click

from nuptse.cli._common import summary


@click.group()
def shar():
    """Write cuts and their data to Shar shards, or read them back."""


def _parse_fields(fields: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for f in fields:
        name, sep, fmt = f.partition(":")
        if not sep or not name or not fmt:
            raise click.BadParameter(f"expected FIELD:FORMAT such as recording:flac, got {f!r}")
        out[name] = fmt
    return out


@shar.command("export")
@click.argument("cuts", type=click.Path(exists=True, dir_okay=False))
@click.argument("outdir", type=click.Path())
@click.option(
    "-a",
    "--audio",
    default="none",
    show_default=True,
    type=click.Choice(["none", "wav", "flac", "mp3", "opus", "original"]),
    help="Format of the exported audio ('original' copies the encoded files as they are).",
)
@click.option(
    "-f",
    "--features",
    default="none",
    show_default=True,
    type=click.Choice(["none", "lilcom", "numpy"]),
    help="Format of the exported features.",
)
@click.option(
    "-c",
    "--custom",
    multiple=True,
    help="Custom field as NAME:FORMAT (repeatable), e.g. -c target_recording:flac "
    "-c embedding:numpy; 'jsonl' for plain metadata.",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    help="Any field as FIELD:FORMAT (repeatable), e.g. --field recording:flac (nuptse).",
)
@click.option("-s", "--shard-size", type=int, default=1000, show_default=True)
@click.option(
    "--shuffle/--no-shuffle",
    default=True,
    show_default=True,
    help="Shuffle the cuts (with --seed) before splitting them into shards.",
)
@click.option(
    "--fault-tolerant/--fast-fail",
    default=False,
    show_default=True,
    help="Skip cuts whose data fails to load instead of stopping.",
)
@click.option("--seed", default=0, type=int, show_default=True, help="Shuffling seed.")
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("-v", "--verbose", count=True, help="Show progress.")
def export(
    cuts,
    outdir,
    audio,
    features,
    custom,
    fields,
    shard_size,
    shuffle,
    fault_tolerant,
    seed,
    num_jobs,
    verbose,
):
    """Export the cuts of CUTS, with their data, as Shar shards in OUTDIR.

    Shards hold SHARD_SIZE cuts each; audio and features are copied into
    sequentially readable tar files only when --audio/--features ask for it.
    Read the result with ``CutSet.from_shar(OUTDIR)``.
    """
    import random

    from nuptse.cut import CutSet

    cs = CutSet.from_file(cuts)
    if shuffle:
        cs = cs.shuffle(rng=random.Random(seed))
    wanted: dict[str, str] = {}
    if audio != "none":
        wanted["recording"] = audio
    if features != "none":
        wanted["features"] = features
    wanted.update(_parse_fields(custom))
    wanted.update(_parse_fields(fields))
    Path(outdir).mkdir(parents=True, exist_ok=True)
    written = cs.to_shar(
        outdir,
        fields=wanted,
        shard_size=shard_size,
        num_jobs=num_jobs,
        fault_tolerant=fault_tolerant,
        verbose=bool(verbose),
    )
    rows = [("output", outdir)]
    for field, paths in (written or {}).items():
        rows.append((f"{field} shards", len(paths)))
    summary("Shar export", rows)


@shar.command("compute-features")
@click.argument("shar_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-f",
    "--feature-config",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Feature extractor config YAML (default: Fbank).",
)
@click.option(
    "-c",
    "--compression",
    type=click.Choice(["lilcom", "numpy"]),
    default="numpy",
    show_default=True,
    help="lilcom is lossy and small, numpy is lossless.",
)
@click.option(
    "-j",
    "--num-jobs",
    default=1,
    type=click.IntRange(min=1),
    show_default=True,
    help="Shards in parallel.",
)
@click.option("-v", "--verbose", count=True, help="Show progress.")
def compute_features(shar_dir, feature_config, compression, num_jobs, verbose):
    """Compute features for the Shar cuts in SHAR_DIR, one ``features.N.tar`` per shard.

    Each shard needs its ``recording.N.tar``.  Shards run in parallel on
    NUM_JOBS processes; within a shard cuts are processed in order.
    """
    from concurrent.futures import ProcessPoolExecutor

    from nuptse.utils.orphans import exit_with_parent

    shards = []
    for cuts_path in sorted(Path(shar_dir).glob("cuts.*.jsonl*")):
        idx = cuts_path.name.split(".")[1]
        rec = cuts_path.with_name(f"recording.{idx}.tar")
        if not rec.is_file():
            raise click.UsageError(f"{cuts_path}: no {rec.name} next to it (export with -a)")
        shards.append((str(cuts_path), str(rec), str(cuts_path.with_name(f"features.{idx}.tar"))))
    if not shards:
        raise click.UsageError(f"{shar_dir}: no cuts.N.jsonl(.gz) shards")
    jobs = [(c, r, o, feature_config, compression) for c, r, o in shards]
    if num_jobs <= 1:
        for job in jobs:
            _features_one_shard(*job)
    else:
        with ProcessPoolExecutor(num_jobs, initializer=exit_with_parent) as ex:
            for _ in ex.map(_features_one_shard, *zip(*jobs)):
                pass
    if verbose:
        click.echo(f"Computed features for {len(shards)} shard(s) in {shar_dir}")


def _features_one_shard(
    cuts_path: str, recording_path: str, output_path: str, feature_config, compression: str
) -> None:
    from nuptse.cli.feat import _extractor
    from nuptse.cut import CutSet
    from nuptse.features.io import MemoryRawWriter
    from nuptse.shar import ArrayTarWriter

    extractor = _extractor(feature_config)
    cuts = CutSet.from_shar(fields={"cuts": [cuts_path], "recording": [recording_path]})
    memory = MemoryRawWriter()
    with ArrayTarWriter(output_path, shard_size=None, compression=compression) as writer:
        for cut in cuts:
            cut = cut.compute_and_store_features(extractor, memory)
            writer.write(key=cut.id, value=cut.load_features(), manifest=cut.features)


@shar.command("import")
@click.argument("shar_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("output_dir", type=click.Path())
@click.option(
    "-s",
    "--storage-type",
    default="lilcom_chunky",
    show_default=True,
    help="Where Shar features are unpacked.",
)
def import_(shar_dir, output_dir, storage_type):
    """Unpack a Shar directory into plain files: OUTPUT_DIR/cuts.jsonl.gz, audio/, features."""
    from tqdm.auto import tqdm

    from nuptse.cut import CutSet

    cs = CutSet.from_shar(in_dir=shar_dir)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "cuts.jsonl.gz"
    n = _unpack(tqdm(cs, desc="Unpacking Shar"), out, target, storage_type)
    summary("Shar import", [("cuts", n), ("manifest", str(target)), ("data under", str(out))])


def _unpack(cuts, out: Path, target: Path, storage_type: str) -> int:
    """Write in-memory audio to files and features to ``storage_type``; save the cuts."""
    import dataclasses

    from nuptse.cut import CutSet
    from nuptse.features.io import get_writer
    from nuptse.utils.safe_paths import contained_path, safe_file_name

    audio_dir = out / "audio"
    audio_dir.mkdir(exist_ok=True)
    written: set[str] = set()
    n = 0
    writer_cls = get_writer(storage_type)
    with writer_cls(out / "feats", mode="w") as writer, CutSet.open_writer(target) as manifest:
        for c in cuts:
            rec = getattr(c, "recording", None)
            if rec is not None:
                sources = []
                for i, src in enumerate(rec.sources):
                    if src.type == "memory":
                        # One file per cut (a Shar member holds the cut's own audio, so several
                        # windows of one recording differ); the name is made safe from the id.
                        ext = safe_file_name(src.format or "bin")
                        name = f"{safe_file_name(c.id)}{'' if i == 0 else f'_{i}'}.{ext}"
                        while name in written:
                            name = f"_{name}"
                        written.add(name)
                        path = contained_path(audio_dir, name)
                        path.write_bytes(bytes(src.source))
                        src = dataclasses.replace(src, type="file", source=str(path))
                    sources.append(src)
                c = dataclasses.replace(c, recording=dataclasses.replace(rec, sources=sources))
            feats = getattr(c, "features", None)
            if feats is not None:
                arr = feats.load()
                key = writer.write(c.id, arr)
                c = dataclasses.replace(
                    c,
                    features=dataclasses.replace(
                        feats,
                        storage_type=writer.name,
                        storage_path=str(writer.storage_path),
                        storage_key=key,
                    ),
                )
            manifest.write(c)
            n += 1
    return n
