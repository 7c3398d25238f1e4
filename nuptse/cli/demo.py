"""``nuptse demo``: the whole pipeline on the sample corpus shipped with nuptse.

preparation -> validation -> cuts -> fbank features -> Shar export -> describe.
Each step is timed; a step that fails is reported and the later steps that
need its output are skipped, so the summary always shows how far it got.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click

from nuptse.cli._common import hours, table

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "data" / "sample_corpus"


def _dialogue_manifests(corpus: Path):
    """The long-form dialogue's recording and its 20 turns (from dialogue.turns.tsv)."""
    import csv

    from nuptse.audio import Recording, RecordingSet
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    rec = Recording.from_file(corpus / "longform" / "dialogue.flac", recording_id="dialogue")
    sups = []
    with open(corpus / "longform" / "dialogue.turns.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            sups.append(
                SupervisionSegment(
                    id=row["id"],
                    recording_id="dialogue",
                    start=float(row["start"]),
                    duration=float(row["duration"]),
                    channel=int(row["channel"]),
                    text=row["text"],
                    language="English",
                    speaker=row["speaker"],
                )
            )
    return RecordingSet.from_items([rec]), SupervisionSet.from_items(sups)


class _Pipeline:
    def __init__(self):
        self.steps: list[tuple[str, str, float, str]] = []
        self.failed = False

    def run(self, name: str, fn, *args, **kwargs):
        click.echo(f"==> {name}")
        t0 = time.perf_counter()
        try:
            result, note = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - reported in the summary
            self.failed = True
            msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
            self.steps.append(
                (name, "FAILED", time.perf_counter() - t0, f"{type(e).__name__}: {msg}"[:70])
            )
            click.echo(f"    failed: {type(e).__name__}: {msg}", err=True)
            return None
        self.steps.append((name, "ok", time.perf_counter() - t0, note))
        return result

    def skip(self, name: str, why: str):
        self.steps.append((name, "skipped", 0.0, why))


@click.command()
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="nuptse-demo",
    show_default=True,
    help="Where to write everything.",
)
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
def demo(out_dir, num_jobs):
    """Run the whole pipeline on the bundled sample corpus and show the results."""
    out = Path(out_dir).resolve()
    corpus = out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE_CORPUS, corpus)
    p = _Pipeline()

    def prepare():
        from nuptse.recipes import prepare_librispeech

        m = prepare_librispeech(
            corpus,
            alignments_dir=corpus / "alignments",
            output_dir=out / "manifests",
            num_jobs=num_jobs,
        )["dev-clean-2"]
        recs, sups = m["recordings"], m["supervisions"]
        try:
            drec, dsup = _dialogue_manifests(corpus)
            drec.to_file(out / "manifests" / "dialogue_recordings.jsonl.gz")
            dsup.to_file(out / "manifests" / "dialogue_supervisions.jsonl.gz")
        except Exception as e:  # noqa: BLE001
            click.echo(f"    (dialogue left out: {type(e).__name__}: {e})", err=True)
            drec = dsup = None
        n = len(recs) + (len(drec) if drec else 0)
        return (
            recs,
            sups,
            drec,
            dsup,
        ), f"{n} recordings, {len(sups) + (len(dsup) if dsup else 0)} supervisions"

    prepared = p.run("prepare", prepare)

    def validate(recs, sups, drec, dsup):
        from nuptse.qa import validate_recordings_and_supervisions

        rep = validate_recordings_and_supervisions(recs, sups, raise_on_error=False)
        if drec is not None:
            rep.extend(validate_recordings_and_supervisions(drec, dsup, raise_on_error=False))
        if not rep.ok:
            raise ValueError(rep.summary(max_lines=3).replace("\n", " "))
        return None, f"{rep.num_checked} items, no problems"

    def make_cuts(recs, sups, drec, dsup):
        from nuptse.cut import CutSet

        cuts = CutSet.from_manifests(recordings=recs, supervisions=sups)
        note = f"{len(cuts)} utterance cuts"
        if drec is not None:
            dcuts = CutSet.from_manifests(recordings=drec, supervisions=dsup).cut_into_windows(10.0)
            cuts = cuts + dcuts.to_eager()
            note += f" + {len(dcuts.to_eager())} dialogue windows"
        cuts.to_file(out / "cuts.jsonl.gz")
        return cuts, note

    def features(cuts):
        from nuptse.features.io import LilcomChunkyWriter
        from nuptse.features.kaldi.extractors import Fbank

        cuts = cuts.compute_and_store_features(
            extractor=Fbank(),
            storage_path=out / "feats",
            storage_type=LilcomChunkyWriter,
            num_jobs=num_jobs,
        )
        cuts = cuts.to_eager()
        cuts.to_file(out / "cuts_with_feats.jsonl.gz")
        frames = sum(c.num_frames for c in cuts)
        return cuts, f"80-dim fbank, {frames} frames"

    def export_shar(cuts):
        shar_dir = out / "shar"
        if shar_dir.exists():
            shutil.rmtree(shar_dir)
        shar_dir.mkdir(parents=True)
        written = cuts.to_shar(
            shar_dir, fields={"recording": "flac", "features": "lilcom"}, shard_size=10
        )
        n = len(next(iter(written.values()))) if written else len(list(shar_dir.glob("cuts.*")))
        return shar_dir, f"{n} shard(s) in {shar_dir.name}/"

    def describe(cuts):
        from nuptse.cli.describe import _stats, plot_histograms

        rows, durations, speakers = _stats(cuts)
        plot_histograms(durations, speakers, str(out / "describe.png"))
        return rows, f"{len(durations)} cuts, {hours(sum(durations))}, plot describe.png"

    cuts = feats = rows = None
    if prepared is None:
        for s in ("validate", "cuts", "features", "shar", "describe"):
            p.skip(s, "needs prepare")
    else:
        p.run("validate", validate, *prepared)
        cuts = p.run("cuts", make_cuts, *prepared)
        if cuts is None:
            for s in ("features", "shar", "describe"):
                p.skip(s, "needs cuts")
        else:
            feats = p.run("features", features, cuts)
            final = feats if feats is not None else cuts
            if feats is None:
                p.skip("shar", "needs features")
            else:
                p.run("shar", export_shar, feats)
            rows = p.run("describe", describe, final)

    click.echo("")
    click.echo(
        table(["step", "status", "seconds", "result"], [(n, s, t, r) for n, s, t, r in p.steps])
    )
    if rows:
        click.echo("")
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            click.echo(f"{k:<{width}}  {v}")
    click.echo("")
    click.echo(f"Outputs in {out}:")
    for name in (
        "corpus",
        "manifests",
        "cuts.jsonl.gz",
        "cuts_with_feats.jsonl.gz",
        "feats.lca",
        "shar",
        "describe.png",
    ):
        if (out / name).exists():
            click.echo(f"  {out / name}")
    if p.failed:
        raise click.exceptions.Exit(1)
