"""``nuptse kaldi import|export``: Kaldi data directories."""

from __future__ import annotations

from pathlib import Path

import click

from nuptse.cli._common import hours, summary


@click.group()
def kaldi():
    """Convert between Kaldi data directories and manifests."""


@kaldi.command("import", context_settings={"ignore_unknown_options": True})
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("sampling_rate", type=click.IntRange(min=1))  # "-8000": a value, not an option
@click.argument("output_dir", type=click.Path())
@click.option(
    "-f",
    "--frame-shift",
    type=float,
    default=None,
    help="Import feats.scp with this frame shift (s).",
)
@click.option(
    "-u", "--map-string-to-underscores", default=None, help="Replace this string by '_' in ids."
)
@click.option(
    "--use-reco2dur/--no-use-reco2dur",
    default=True,
    show_default=True,
    help="Durations from reco2dur instead of reading audio.",
)
@click.option(
    "-d",
    "--compute-durations",
    is_flag=True,
    help="Read the audio for durations instead of reco2dur (as --no-use-reco2dur).",
)
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "-t",
    "--feature-type",
    default="kaldi-fbank",
    show_default=True,
    help="Feature type recorded for feats.scp.",
)
@click.option(
    "--allow-commands",
    is_flag=True,
    help="Run wav.scp pipelines to measure durations (trusted data only).",
)
def import_(
    data_dir,
    sampling_rate,
    output_dir,
    frame_shift,
    map_string_to_underscores,
    use_reco2dur,
    compute_durations,
    num_jobs,
    feature_type,
    allow_commands,
):
    """Import DATA_DIR into OUTPUT_DIR/{recordings,supervisions,features,cuts}.jsonl.gz."""
    from nuptse.kaldi import load_kaldi_data_dir

    recs, sups, feats = load_kaldi_data_dir(
        data_dir,
        sampling_rate,
        frame_shift=frame_shift,
        map_string_to_underscores=map_string_to_underscores,
        use_reco2dur=use_reco2dur and not compute_durations,
        num_jobs=num_jobs,
        feature_type=feature_type,
        allow_commands=allow_commands,
        progress=True,
    )
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [("recordings", f"{len(recs)} ({hours(sum(r.duration for r in recs))})")]
    recs.to_file(out / "recordings.jsonl.gz")
    if sups is not None:
        sups.to_file(out / "supervisions.jsonl.gz")
        rows.append(("supervisions", len(sups)))
    if feats is not None:
        feats.to_file(out / "features.jsonl.gz")
        rows.append(("features", len(feats)))
    from nuptse.cut import CutSet

    cuts = CutSet.from_manifests(recordings=recs, supervisions=sups, features=feats, tolerance=0.1)
    cuts.to_file(out / "cuts.jsonl.gz")
    rows.append(("cuts", len(cuts)))
    rows.append(("written to", str(out)))
    summary(f"Imported {data_dir}", rows)


@kaldi.command("export")
@click.argument("recordings_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("supervisions_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_dir", type=click.Path())
@click.option("-u", "--map-underscores-to", default=None, help="Replace '_' in ids by this string.")
@click.option(
    "-p", "--prefix-spk-id", is_flag=True, help="Prefix utterance ids with the speaker id."
)
@click.option(
    "-f",
    "--features-manifest",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Also write feats.scp (and feats.ark) from this FeatureSet.",
)
def export(
    recordings_manifest,
    supervisions_manifest,
    output_dir,
    map_underscores_to,
    prefix_spk_id,
    features_manifest,
):
    """Export recordings and supervisions to a Kaldi data directory."""
    from nuptse.audio import RecordingSet
    from nuptse.kaldi import export_to_kaldi
    from nuptse.supervision import SupervisionSet

    recs = RecordingSet.from_file(recordings_manifest)
    sups = SupervisionSet.from_file(supervisions_manifest)
    feats = None
    if features_manifest:
        from nuptse.features import FeatureSet

        feats = FeatureSet.from_file(features_manifest)
    export_to_kaldi(
        recs,
        sups,
        output_dir,
        map_underscores_to=map_underscores_to,
        prefix_spk_id=prefix_spk_id,
        features=feats,
    )
    files = sorted(p.name for p in Path(output_dir).iterdir())
    summary(
        f"Exported to {output_dir}",
        [("recordings", len(recs)), ("supervisions", len(sups)), ("files", " ".join(files))],
    )
