"""``nuptse prepare <corpus>``: corpus recipes."""

from __future__ import annotations

import click

from nuptse.cli._common import hours, summary, table


@click.group()
def prepare():
    """Turn a corpus folder into recording and supervision manifests."""


@prepare.command("librispeech")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("output_dir", type=click.Path())
@click.option(
    "-a",
    "--alignments-dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Folder with LibriSpeech-Alignments *.alignment.txt files.",
)
@click.option(
    "-p",
    "--dataset-parts",
    multiple=True,
    default=["auto"],
    show_default=True,
    help="Parts to prepare ('auto' finds the known part folders; 'mini_librispeech').",
)
@click.option("--normalize-text", type=click.Choice(["none", "lower"]), default="none")
@click.option("-j", "--num-jobs", type=int, default=1, show_default=True, help="Parallel readers.")
def librispeech(corpus_dir, output_dir, alignments_dir, dataset_parts, normalize_text, num_jobs):
    """LibriSpeech layout: PART/SPEAKER/CHAPTER/*.flac with *.trans.txt and SPEAKERS.TXT."""
    from nuptse.recipes import prepare_librispeech

    parts = (
        dataset_parts[0]
        if len(dataset_parts) == 1
        and dataset_parts[0]
        in (
            "auto",
            "mini_librispeech",
        )
        else list(dataset_parts)
    )
    manifests = prepare_librispeech(
        corpus_dir,
        alignments_dir=alignments_dir,
        dataset_parts=parts,
        output_dir=output_dir,
        normalize_text=normalize_text,
        num_jobs=num_jobs,
        progress=True,
    )
    rows = []
    for part, m in manifests.items():
        sups = list(m["supervisions"])
        rows.append(
            (
                part,
                len(m["recordings"]),
                len(sups),
                len({s.speaker for s in sups}),
                hours(sum(r.duration for r in m["recordings"])),
                sum(1 for s in sups if s.alignment),
            )
        )
    click.echo("")
    click.echo(
        table(["part", "recordings", "supervisions", "speakers", "duration", "aligned"], rows)
    )
    summary("Output", [("manifests written to", output_dir)])
