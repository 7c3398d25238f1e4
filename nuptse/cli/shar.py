"""``nuptse shar export|import``: the sharded tar format."""

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
@click.argument("output_dir", type=click.Path())
@click.option(
    "-a",
    "--field",
    "fields",
    multiple=True,
    default=["recording:flac"],
    show_default=True,
    help="FIELD:FORMAT, e.g. recording:flac, features:lilcom (repeatable).",
)
@click.option("-s", "--shard-size", type=int, default=1000, show_default=True)
@click.option("-j", "--num-jobs", type=int, default=1, show_default=True)
def export(cuts, output_dir, fields, shard_size, num_jobs):
    """Export CUTS with their data as Shar shards in OUTPUT_DIR."""
    from nuptse.cut import CutSet

    cs = CutSet.from_file(cuts)
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    written = cs.to_shar(
        output_dir, fields=_parse_fields(fields), shard_size=shard_size, num_jobs=num_jobs
    )
    rows = [("cuts", len(cs)), ("output", output_dir)]
    for field, paths in (written or {}).items():
        rows.append((f"{field} shards", len(paths)))
    summary("Shar export", rows)


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
    from nuptse.safe_paths import contained_path, safe_file_name

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
