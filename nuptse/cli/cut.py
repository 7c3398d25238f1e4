"""``nuptse cut``: build and reshape cut manifests."""

from __future__ import annotations

import click

from nuptse.cli._common import hours, summary


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


@cut.command("simple")
@click.argument("output_cut_manifest", type=click.Path())
@click.option("-r", "--recording-manifest", type=click.Path(exists=True, dir_okay=False))
@click.option("-f", "--feature-manifest", type=click.Path(exists=True, dir_okay=False))
@click.option("-s", "--supervision-manifest", type=click.Path(exists=True, dir_okay=False))
def simple(output_cut_manifest, recording_manifest, feature_manifest, supervision_manifest):
    """One cut per recording, with its supervisions and features."""
    from nuptse.cli._common import load_any
    from nuptse.cut import CutSet

    if not recording_manifest and not feature_manifest:
        raise click.UsageError("give at least one of --recording-manifest or --feature-manifest")
    recs = load_any(recording_manifest) if recording_manifest else None
    feats = load_any(feature_manifest) if feature_manifest else None
    sups = load_any(supervision_manifest) if supervision_manifest else None
    cuts = CutSet.from_manifests(recordings=recs, supervisions=sups, features=feats)
    cuts.to_file(output_cut_manifest)
    _report("Cuts", cuts, output_cut_manifest)


@cut.command("trim-to-supervisions")
@click.argument("cuts", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_cuts", type=click.Path())
@click.option("--keep-overlapping/--discard-overlapping", default=True, show_default=True)
@click.option("--min-duration", type=float, default=None, help="Extend shorter cuts with context.")
@click.option(
    "--context-direction",
    type=click.Choice(["center", "left", "right", "random"]),
    default="center",
    show_default=True,
)
@click.option("--keep-all-channels/--discard-extra-channels", default=False, show_default=True)
def trim_to_supervisions(
    cuts, output_cuts, keep_overlapping, min_duration, context_direction, keep_all_channels
):
    """One cut per supervision, spanning exactly that supervision."""
    from nuptse.cut import CutSet

    cs = CutSet.from_file(cuts)
    out = cs.trim_to_supervisions(
        keep_overlapping=keep_overlapping,
        min_duration=min_duration,
        context_direction=context_direction,
        keep_all_channels=keep_all_channels,
    )
    out.to_file(output_cuts)
    _report("Trimmed cuts", out, output_cuts)


@cut.command("windowed")
@click.argument("cuts", type=click.Path(exists=True, dir_okay=False))
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
    """Cut every cut into consecutive windows of DURATION seconds."""
    from nuptse.cut import CutSet

    cs = CutSet.from_file(cuts)
    out = cs.cut_into_windows(
        duration=duration, hop=hop, keep_excessive_supervisions=keep_excessive_supervisions
    )
    out.to_file(output_cuts)
    _report("Windowed cuts", out, output_cuts)
