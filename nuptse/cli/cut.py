"""``nuptse cut ...``: build and reshape cut manifests.

The subcommands mirror :class:`~nuptse.cut.CutSet` methods of the same name
(``trim-to-supervisions`` is ``CutSet.trim_to_supervisions``, ...).
"""

from __future__ import annotations

import click

from nuptse.cli._common import hours, summary

_IN = click.Path(exists=True, dir_okay=False)


@click.group()
def cut():
    """Create cuts from manifests and reshape them."""


def _report(title: str, cuts, output) -> None:
    n = 0
    total = 0.0
    for c in cuts:
        n += 1
        total += c.duration
    summary(title, [("cuts", n), ("duration", hours(total)), ("written to", output)])


def _write_stream(cuts, output) -> None:
    """Write a (possibly lazy) iterable of cuts item by item and summarise it."""
    from nuptse.cut import CutSet

    n = 0
    total = 0.0
    with CutSet.open_writer(output) as writer:
        for c in cuts:
            if c.id in writer.ignore_ids:
                # The writer would skip it silently (that is how resuming works): refuse.
                raise click.ClickException(
                    f"two output cuts have the id {c.id!r}; the second would be lost. This "
                    "happens when one supervision lies in several input cuts (e.g. windows of "
                    "one recording): run the command on the cuts before windowing, or give "
                    "the input cuts' supervisions unique ids"
                )
            writer.write(c)
            n += 1
            total += c.duration
    summary("Cuts", [("cuts", n), ("duration", hours(total)), ("written to", output)])


@cut.command("simple")
@click.argument("output_cut_manifest", type=click.Path())
@click.option("-r", "--recording-manifest", type=_IN, help="Recordings to attach.")
@click.option("-f", "--feature-manifest", type=_IN, help="Features to attach.")
@click.option("-s", "--supervision-manifest", type=_IN, help="Supervisions to attach.")
@click.option(
    "--force-eager",
    is_flag=True,
    help="Load the inputs into memory first (needed when JSONL inputs are not sorted "
    "by recording id).",
)
def simple(
    output_cut_manifest, recording_manifest, feature_manifest, supervision_manifest, force_eager
):
    """One cut per recording (or feature item), with its supervisions, into OUTPUT_CUT_MANIFEST.

    Give at least one of --recording-manifest and --feature-manifest.
    JSONL inputs are streamed (they must then be sorted by recording id)
    unless --force-eager.
    """
    from nuptse.cli._common import load_any, load_lazy_or_eager
    from nuptse.cut import CutSet

    if not recording_manifest and not feature_manifest:
        raise click.UsageError("give at least one of --recording-manifest or --feature-manifest")
    load = load_any if force_eager else load_lazy_or_eager
    recs, feats, sups = (
        load(p) if p else None for p in (recording_manifest, feature_manifest, supervision_manifest)
    )
    for option, path, manifest, wanted in (
        ("--recording-manifest", recording_manifest, recs, "RecordingSet"),
        ("--feature-manifest", feature_manifest, feats, "FeatureSet"),
        ("--supervision-manifest", supervision_manifest, sups, "SupervisionSet"),
    ):
        if manifest is not None and type(manifest).__name__ != wanted:
            raise click.BadParameter(
                f"{path} holds a {type(manifest).__name__}, expected a {wanted}",
                param_hint=option,
            )
    loaded = [m for m in (recs, feats, sups) if m is not None]
    if not force_eager and all(m.is_lazy for m in loaded):
        cuts = CutSet.from_manifests(
            recordings=recs,
            supervisions=sups,
            features=feats,
            output_path=output_cut_manifest,
            lazy=True,
        )
    else:
        cuts = CutSet.from_manifests(recordings=recs, supervisions=sups, features=feats)
        cuts.to_file(output_cut_manifest)
    _report("Cuts", cuts, output_cut_manifest)


@cut.command("trim-to-supervisions")
@click.argument("cuts", type=_IN)
@click.argument("output_cuts", type=click.Path())
@click.option(
    "--keep-overlapping/--discard-overlapping",
    default=True,
    show_default=True,
    help="Keep the parts of other supervisions that overlap each new cut.",
)
@click.option(
    "-d",
    "--min-duration",
    type=float,
    default=None,
    help="Extend shorter cuts with context from the recording up to this many seconds.",
)
@click.option(
    "-c",
    "--context-direction",
    type=click.Choice(["center", "left", "right", "random"]),
    default="center",
    show_default=True,
    help="Where --min-duration takes the context from.",
)
@click.option(
    "--keep-all-channels/--discard-extra-channels",
    default=False,
    show_default=True,
    help="Keep all channels of the input cut instead of those of the supervision.",
)
def trim_to_supervisions(
    cuts, output_cuts, keep_overlapping, min_duration, context_direction, keep_all_channels
):
    """One cut per supervision of CUTS, spanning exactly that supervision."""
    from nuptse.cut import CutSet

    _write_stream(
        CutSet.from_file(cuts).trim_to_supervisions(
            keep_overlapping=keep_overlapping,
            min_duration=min_duration,
            context_direction=context_direction,
            keep_all_channels=keep_all_channels,
        ),
        output_cuts,
    )


@cut.command("trim-to-alignments")
@click.argument("cuts", type=_IN)
@click.argument("output_cuts", type=click.Path())
@click.option("--type", "type_", default="word", show_default=True, help="Alignment type.")
@click.option(
    "--max-pause",
    type=float,
    default=0.0,
    show_default=True,
    help="Merge alignment items separated by a pause shorter than this (seconds).",
)
@click.option(
    "-d",
    "--delimiter",
    default=" ",
    show_default=True,
    help="Joins the symbols of merged alignment items.",
)
@click.option(
    "--keep-all-channels/--discard-extra-channels",
    default=False,
    show_default=True,
    help="Keep all channels of the input cut instead of those of the supervision.",
)
def trim_to_alignments(cuts, output_cuts, type_, max_pause, delimiter, keep_all_channels):
    """One cut per alignment item of type --type (merged across short pauses)."""
    from nuptse.cut import CutSet

    _write_stream(
        CutSet.from_file(cuts).trim_to_alignments(
            type=type_,
            max_pause=max_pause,
            delimiter=delimiter,
            keep_all_channels=keep_all_channels,
        ),
        output_cuts,
    )


@cut.command("trim-to-supervision-groups")
@click.argument("cuts", type=_IN)
@click.argument("output_cuts", type=click.Path())
@click.option(
    "--max-pause",
    type=float,
    default=0.0,
    show_default=True,
    help="Merge groups separated by a pause shorter than this (seconds).",
)
def trim_to_supervision_groups(cuts, output_cuts, max_pause):
    """One cut per group of overlapping (or nearly touching) supervisions."""
    from nuptse.cut import CutSet

    _write_stream(
        CutSet.from_file(cuts).trim_to_supervision_groups(max_pause=max_pause), output_cuts
    )


@cut.command("mix-sequential")
@click.argument("cut_manifests", nargs=-1, type=_IN)
@click.argument("output_cut_manifest", type=click.Path())
def mix_sequential(cut_manifests, output_cut_manifest):
    """Mix the i-th cuts of all CUT_MANIFESTS with each other (stops at the shortest)."""
    from nuptse.cut import CutSet

    sets = [CutSet.from_file(p) for p in cut_manifests]
    _write_stream((_fold(cuts, "mix") for cuts in zip(*sets)), output_cut_manifest)


@cut.command("mix-by-recording-id")
@click.argument("cut_manifests", nargs=-1, type=_IN)
@click.argument("output_cut_manifest", type=click.Path())
def mix_by_recording_id(cut_manifests, output_cut_manifest):
    """Mix together all cuts of CUT_MANIFESTS that share a recording id."""
    from nuptse.cut import CutSet

    groups: dict[str, list] = {}
    for path in cut_manifests:
        for c in CutSet.from_file(path):
            groups.setdefault(c.recording_id, []).append(c)
    mixed = CutSet.from_items(_fold(cuts, "mix") for cuts in groups.values())
    mixed.to_file(output_cut_manifest)
    _report("Mixed cuts", mixed, output_cut_manifest)


def _fold(cuts, method: str):
    """``cuts[0].method(cuts[1]).method(cuts[2])...`` (lhotse's mix_cuts / append_cuts)."""
    it = iter(cuts)
    acc = next(it)
    for c in it:
        acc = getattr(acc, method)(c)
    return acc


@cut.command("truncate")
@click.argument("cut_manifest", type=_IN)
@click.argument("output_cut_manifest", type=click.Path())
@click.option("--preserve-id", is_flag=True, help="Keep the cut ids (default: new random ids).")
@click.option(
    "-d", "--max-duration", type=float, required=True, help="Longest cut allowed (seconds)."
)
@click.option(
    "-o",
    "--offset-type",
    type=click.Choice(["start", "end", "random"]),
    default="start",
    show_default=True,
    help="Keep the start, the end or a random window of longer cuts.",
)
@click.option(
    "--keep-overflowing-supervisions/--discard-overflowing-supervisions",
    default=False,
    show_default=True,
    help="Keep supervisions that the truncation cuts through.",
)
def truncate(
    cut_manifest,
    output_cut_manifest,
    preserve_id,
    max_duration,
    offset_type,
    keep_overflowing_supervisions,
):
    """Truncate the cuts of CUT_MANIFEST to at most --max-duration seconds."""
    from nuptse.cut import CutSet

    out = CutSet.from_file(cut_manifest).truncate(
        max_duration=max_duration,
        offset_type=offset_type,
        keep_excessive_supervisions=keep_overflowing_supervisions,
        preserve_id=preserve_id,
    )
    out.to_file(output_cut_manifest)
    _report("Truncated cuts", out, output_cut_manifest)


@cut.command("append")
@click.argument("cut_manifests", nargs=-1, type=_IN)
@click.argument("output_cut_manifest", type=click.Path())
def append(cut_manifests, output_cut_manifest):
    """Append the i-th cuts of all CUT_MANIFESTS one after another (stops at the shortest)."""
    from nuptse.cut import CutSet

    sets = [CutSet.from_file(p) for p in cut_manifests]
    _write_stream((_fold(cuts, "append") for cuts in zip(*sets)), output_cut_manifest)


@cut.command("pad")
@click.argument("cut_manifest", type=_IN)
@click.argument("output_cut_manifest", type=click.Path())
@click.option(
    "-d",
    "--duration",
    type=float,
    default=None,
    help="Pad to this many seconds (default: the longest cut's duration).",
)
def pad(cut_manifest, output_cut_manifest, duration):
    """Right-pad the cuts of CUT_MANIFEST with silence to --duration seconds."""
    from nuptse.cut import CutSet

    out = CutSet.from_file(cut_manifest).pad(duration=duration)
    out.to_file(output_cut_manifest)
    _report("Padded cuts", out, output_cut_manifest)


@cut.command("decompose")
@click.argument("cutset", type=_IN)
@click.argument("output", type=click.Path())
def decompose(cutset, output):
    """Split CUTSET into recordings, supervisions and features manifests in OUTPUT.

    \b
    Writes OUTPUT/recordings.jsonl.gz, OUTPUT/supervisions.jsonl.gz and
    OUTPUT/features.jsonl.gz (a kind no cut has is left out).
    """
    from pathlib import Path

    from nuptse.cut import CutSet

    CutSet.from_file(cutset).decompose(output_dir=Path(output), verbose=True)


@cut.command("describe")
@click.argument("cutset", type=_IN)
def describe(cutset):
    """Statistics of CUTSET: counts, durations, speech and overlap."""
    from nuptse.cut import CutSet

    CutSet.from_file(cutset).describe()


@cut.command("windowed")
@click.argument("cuts", type=_IN)
@click.argument("output_cuts", type=click.Path())
@click.option("-d", "--duration", type=float, required=True, help="Window length in seconds.")
@click.option("--hop", type=float, default=None, help="Window shift (default: the duration).")
@click.option(
    "-k/-nk",
    "--keep-excessive-supervisions/--discard-excessive-supervisions",
    default=True,
    show_default=True,
)
def windowed(cuts, output_cuts, duration, hop, keep_excessive_supervisions):
    """Cut every cut into consecutive windows of DURATION seconds (nuptse)."""
    from nuptse.cut import CutSet

    out = CutSet.from_file(cuts).cut_into_windows(
        duration=duration, hop=hop, keep_excessive_supervisions=keep_excessive_supervisions
    )
    out.to_file(output_cuts)
    _report("Windowed cuts", out, output_cuts)


@cut.command("estimate-bucket-bins")
@click.argument("cutset", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "-b", "--num-buckets", default=30, type=int, show_default=True, help="Buckets wanted."
)
@click.option(
    "-s", "--sample", default=None, type=int, help="Use only the first N cuts (default: all)."
)
def estimate_bucket_bins(cutset, num_buckets, sample):
    """Print the NUM_BUCKETS-1 duration bin edges (seconds) for DynamicBucketingSampler.

    Buckets get about equal total duration.  JSON-lines manifests are read
    lazily, decoding only each cut's duration.
    """
    from itertools import islice

    from nuptse.dataset.sampling.cli_support import cut_durations
    from nuptse.dataset.sampling.dynamic_bucketing import estimate_duration_buckets

    durations = islice(cut_durations(cutset), sample)
    click.echo(estimate_duration_buckets(durations, num_buckets=num_buckets))
