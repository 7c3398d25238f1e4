"""``nuptse supervision with-alignment-from-ctm``: add CTM alignments to supervisions."""

from __future__ import annotations

import click


@click.group()
def supervision():
    """Commands that edit supervision manifests."""


@supervision.command("with-alignment-from-ctm")
@click.argument("in_supervision_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("out_supervision_manifest", type=click.Path())
@click.option(
    "--ctm-file",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="CTM file with the alignments (<recording> <channel> <start> <duration> <symbol>).",
)
@click.option("--alignment-type", default="word", show_default=True, help="Alignment type.")
@click.option(
    "--match-channel/--no-match-channel",
    default=False,
    show_default=True,
    help="Also require the CTM channel to equal the supervision's.",
)
@click.option("-v", "--verbose", is_flag=True, help="Report CTM lines that match nothing.")
def with_alignment_from_ctm(
    in_supervision_manifest,
    out_supervision_manifest,
    ctm_file,
    alignment_type,
    match_channel,
    verbose,
):
    """Attach the CTM items inside each supervision as its --alignment-type alignment."""
    from nuptse.supervision import SupervisionSet

    sups = SupervisionSet.from_file(in_supervision_manifest).with_alignment_from_ctm(
        ctm_file=ctm_file, type=alignment_type, match_channel=match_channel, verbose=verbose
    )
    with SupervisionSet.open_writer(out_supervision_manifest, overwrite=True) as writer:
        for s in sups:
            writer.write(s)
