"""``nuptse feat``: feature extraction."""

from __future__ import annotations

from pathlib import Path

import click

from nuptse.cli._common import summary


@click.group()
def feat():
    """Compute and store features."""


def _extractor(config: str | None, feature_type: str):
    from nuptse.features import base

    if config:
        return base.FeatureExtractor.from_yaml(config)
    return base.create_default_feature_extractor(feature_type)


@feat.command("write-default-config")
@click.argument("output_config", type=click.Path(dir_okay=False))
@click.option("-f", "--feature-type", default="kaldi-fbank", show_default=True)
def write_default_config(output_config, feature_type):
    """Write the default configuration of a feature extractor to a YAML file."""
    _extractor(None, feature_type).to_yaml(output_config)
    click.echo(f"Wrote {output_config}")


@feat.command("extract")
@click.argument("input_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_dir", type=click.Path())
@click.option(
    "-f",
    "--feature-config",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Extractor config YAML (default: Fbank).",
)
@click.option(
    "-t",
    "--feature-type",
    default="kaldi-fbank",
    show_default=True,
    help="Extractor type when no config is given.",
)
@click.option(
    "-s",
    "--storage-type",
    default="lilcom_chunky",
    show_default=True,
    help="See list-storage-types.",
)
@click.option("-j", "--num-jobs", type=int, default=1, show_default=True)
@click.option(
    "--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True
)
@click.option("--scheduler", default=None, help="Dask scheduler address (with --executor dask).")
def extract(
    input_manifest,
    output_dir,
    feature_config,
    feature_type,
    storage_type,
    num_jobs,
    executor,
    scheduler,
):
    """Compute features for recordings or cuts; write them and a manifest to OUTPUT_DIR.

    A RecordingSet gives OUTPUT_DIR/features.jsonl.gz, a CutSet gives
    OUTPUT_DIR/cuts.jsonl.gz with the features attached.
    """
    from nuptse.cli._common import load_any
    from nuptse.features.io import get_writer

    manifest = load_any(input_manifest)
    kind = type(manifest).__name__
    extractor = _extractor(feature_config, feature_type)
    writer_cls = get_writer(storage_type)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    storage_path = out / "feats"
    client = None
    if executor == "dask":
        import logging

        from dask.distributed import Client

        if not click.get_current_context().find_root().params.get("verbose"):
            logging.getLogger("distributed").setLevel(logging.ERROR)
        client = Client(scheduler) if scheduler else Client(processes=False)
    try:
        if kind == "CutSet":
            cuts = manifest.compute_and_store_features(
                extractor=extractor,
                storage_path=storage_path,
                num_jobs=num_jobs,
                storage_type=writer_cls,
                # A concurrent.futures view of the client, so callers may use as_completed().
                executor=client.get_executor() if client is not None else None,
            )
            target = out / "cuts.jsonl.gz"
            cuts.to_file(target)
            n = len(cuts)
        elif kind == "RecordingSet":
            from nuptse.features.base import FeatureSetBuilder

            with writer_cls(storage_path, mode="w") as storage:
                builder = FeatureSetBuilder(feature_extractor=extractor, storage=storage)
                target = out / "features.jsonl.gz"
                feats = builder.process_and_store_recordings(
                    recordings=manifest, output_manifest=target, num_jobs=num_jobs
                )
            n = len(feats)
        else:
            raise click.UsageError(
                f"{input_manifest} holds a {kind}; feat extract needs recordings or cuts"
            )
    finally:
        if client is not None:
            client.close()
    summary(
        "Features",
        [
            ("extractor", type(extractor).__name__),
            ("items", n),
            ("storage", f"{storage_type} under {out}"),
            ("manifest", str(target)),
        ],
    )
