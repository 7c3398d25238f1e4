"""``nuptse validate``, ``nuptse validate-pair`` and ``nuptse fix``."""

from __future__ import annotations

from pathlib import Path

import click

from nuptse.cli._common import summary


@click.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-r",
    "--read-data/--dont-read-data",
    default=False,
    help="Also decode audio and features and check their shapes (slow for large manifests).",
)
@click.option(
    "-n",
    "--max-problems",
    type=int,
    default=20,
    show_default=True,
    help="Problems listed per manifest.",
)
def validate(manifests, read_data, max_problems):
    """Check MANIFESTS and report every problem found.

    When a recording and a supervision manifest are both given, also check
    that every supervision fits its recording.  Exits with status 1 if any
    problem remains.
    """
    from nuptse.cli._common import load_any
    from nuptse.qa import validate as run_validate
    from nuptse.qa import validate_recordings_and_supervisions

    loaded = []
    total = 0
    for path in manifests:
        m = load_any(path)
        loaded.append(m)
        report = run_validate(m, read_data=read_data, raise_on_error=False, progress=True)
        total += len(report.problems)
        status = "OK" if report.ok else "PROBLEMS"
        click.echo(f"[{status}] {path}")
        click.echo("  " + report.summary(max_lines=max_problems).replace("\n", "\n  "))
    recs = [m for m in loaded if type(m).__name__ == "RecordingSet"]
    sups = [m for m in loaded if type(m).__name__ == "SupervisionSet"]
    if len(recs) == 1 and len(sups) == 1:
        report = validate_recordings_and_supervisions(recs[0], sups[0], raise_on_error=False)
        cross = [p for p in report.problems if "recording" in p.message]
        total += len(cross)
        click.echo(f"[{'OK' if not cross else 'PROBLEMS'}] supervisions against recordings")
        for p in cross[:max_problems]:
            click.echo(f"  - {p}")
    summary("Validation", [("manifests", len(manifests)), ("problems", total)])
    if total:
        raise click.exceptions.Exit(1)


@click.command("validate-pair")
@click.argument("recordings", type=click.Path(exists=True, dir_okay=False))
@click.argument("supervisions", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-r",
    "--read-data/--dont-read-data",
    default=False,
    help="Also decode the audio and check its shape (slow for large manifests).",
)
@click.option(
    "-n", "--max-problems", type=int, default=20, show_default=True, help="Problems listed."
)
def validate_pair(recordings, supervisions, read_data, max_problems):
    """Check RECORDINGS and SUPERVISIONS, each and against each other.

    Lists every problem found (orphan supervisions, supervisions past the end
    of their recording or on missing channels, ...); exits with status 1 if
    there is any.
    """
    from nuptse.audio import RecordingSet
    from nuptse.qa import validate_recordings_and_supervisions
    from nuptse.supervision import SupervisionSet

    report = validate_recordings_and_supervisions(
        RecordingSet.from_file(recordings),
        SupervisionSet.from_file(supervisions),
        read_data=read_data,
        raise_on_error=False,
    )
    click.echo(f"[{'OK' if report.ok else 'PROBLEMS'}] {recordings} + {supervisions}")
    click.echo("  " + report.summary(max_lines=max_problems).replace("\n", "\n  "))
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("recordings_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("supervisions_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_dir", type=click.Path())
def fix(recordings_manifest, supervisions_manifest, output_dir):
    """Drop orphans and trim supervisions to their recordings; write to OUTPUT_DIR."""
    from nuptse.audio import RecordingSet
    from nuptse.qa import fix_manifests
    from nuptse.supervision import SupervisionSet

    recs = RecordingSet.from_file(recordings_manifest)
    sups = SupervisionSet.from_file(supervisions_manifest)
    recs, sups, report = fix_manifests(recs, sups, return_report=True)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    recs.to_file(out / Path(recordings_manifest).name)
    sups.to_file(out / Path(supervisions_manifest).name)
    summary(
        "Fixed manifests",
        [
            ("recordings removed", len(report.removed_recordings)),
            ("supervisions removed", len(report.removed_supervisions)),
            ("supervisions trimmed", len(report.trimmed_supervisions)),
            ("written to", str(out)),
        ],
    )
