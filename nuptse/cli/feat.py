"""``nuptse feat extract|extract-cuts|write-default-config``: feature extraction."""

from __future__ import annotations

from pathlib import Path

import click

from nuptse.cli._common import summary


@click.group()
def feat():
    """Compute and store features."""


def _extractor(config: str | None, feature_type: str | None = None):
    """The extractor of a YAML config, of a registered type name, or the default Fbank."""
    from nuptse.features import Fbank, FeatureExtractor, create_default_feature_extractor

    if config:
        return FeatureExtractor.from_yaml(config)
    if feature_type:
        return create_default_feature_extractor(feature_type)
    return Fbank()


def _storage_option(f):
    return click.option(
        "-s",
        "--storage-type",
        default=None,
        help="Storage backend of the feature matrices (see list-storage-backends); default: "
        "lilcom_chunky, or $NUPTSE_FEATURES_STORAGE_BACKEND.",
    )(f)


def _storage_type(name: str | None) -> str:
    """The backend name given, or the library's default (lhotse's CLI does the same)."""
    if name:
        return name
    from nuptse.features.io import default_features_storage_backend_name

    return default_features_storage_backend_name()


def _config_option(f):
    return click.option(
        "-f",
        "--feature-manifest",
        "--feature-config",
        "feature_manifest",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Feature extractor config YAML (default: Fbank; see write-default-config).",
    )(f)


@feat.command("write-default-config")
@click.argument("output_config", type=click.Path(dir_okay=False))
@click.option(
    "-f", "--feature-type", default="fbank", show_default=True, help="Extractor type name."
)
def write_default_config(output_config, feature_type):
    """Save the default config of a feature extractor type to OUTPUT_CONFIG (YAML)."""
    _extractor(None, feature_type).to_yaml(output_config)


def _dask_client(executor: str, scheduler: str | None, num_jobs: int):
    """A Dask client: on ``scheduler``, else on a local cluster of ``num_jobs``
    single-threaded worker processes (closed with the client).

    The local workers start without Dask's ``MALLOC_TRIM_THRESHOLD_=65536``:
    with it glibc hands freed memory back at once and every cut's arrays
    page-fault again (~25% more CPU for feature extraction,
    docs/performance.md).
    """
    if executor != "dask":
        return None
    import logging

    import dask
    from dask.distributed import Client, LocalCluster

    if not click.get_current_context().find_root().params.get("verbose"):
        logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler:
        return Client(scheduler)
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(
            n_workers=num_jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
    return Client(cluster, set_as_default=False)


@feat.command("extract")
@click.argument("recording_manifest", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_dir", type=click.Path())
@_config_option
@_storage_option
@click.option(
    "-t",
    "--lilcom-tick-power",
    type=int,
    default=-5,
    show_default=True,
    help="Lilcom storage precision: values are stored as multiples of 2^tick_power.",
)
@click.option(
    "-r",
    "--root-dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Prefix for every relative audio path in the manifest.",
)
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--feature-type",
    default=None,
    help="Extractor type when no config is given (default: Fbank).",
)
@click.option(
    "--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True
)
@click.option("--scheduler", default=None, help="Dask scheduler address (with --executor dask).")
def extract(
    recording_manifest,
    output_dir,
    feature_manifest,
    storage_type,
    lilcom_tick_power,
    root_dir,
    num_jobs,
    feature_type,
    executor,
    scheduler,
):
    """Compute features of the recordings in RECORDING_MANIFEST into OUTPUT_DIR.

    Writes ``OUTPUT_DIR/feature_manifest.json.gz`` and the matrices under
    ``OUTPUT_DIR/storage`` (``OUTPUT_DIR/feats.h5`` for HDF5 backends).
    A CutSet is accepted too: its cuts get features attached and are written
    to ``OUTPUT_DIR/cuts.jsonl.gz``.
    """
    from nuptse.cli._common import load_any
    from nuptse.features.io import get_writer

    manifest = load_any(recording_manifest)
    kind = type(manifest).__name__
    if kind not in ("RecordingSet", "CutSet"):
        raise click.UsageError(
            f"{recording_manifest} holds a {kind}; feat extract needs recordings or cuts"
        )
    extractor = _extractor(feature_manifest, feature_type)
    storage_type = _storage_type(storage_type)
    writer_cls = get_writer(storage_type)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    storage_path = out / ("feats.h5" if "hdf5" in storage_type else "storage")
    client = _dask_client(executor, scheduler, num_jobs)
    try:
        if kind == "CutSet":
            if root_dir is not None:
                manifest = manifest.with_recording_path_prefix(root_dir)
            cuts = manifest.compute_and_store_features(
                extractor=extractor,
                storage_path=storage_path,
                num_jobs=num_jobs,
                storage_type=writer_cls,
                executor=client.get_executor() if client is not None else None,
            )
            target = out / "cuts.jsonl.gz"
            cuts.to_file(target)
            n = len(cuts)
        else:
            from nuptse.features.base import FeatureSetBuilder

            if root_dir is not None:
                manifest = manifest.with_path_prefix(root_dir)
            kwargs = {"tick_power": lilcom_tick_power} if "lilcom" in storage_type else {}
            target = out / "feature_manifest.json.gz"
            with writer_cls(storage_path, **kwargs) as storage:
                builder = FeatureSetBuilder(feature_extractor=extractor, storage=storage)
                feats = builder.process_and_store_recordings(
                    recordings=manifest, output_manifest=target, num_jobs=num_jobs
                )
            n = len(feats)
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            if cluster is not None and not scheduler:
                cluster.close()
    summary(
        "Features",
        [
            ("extractor", type(extractor).__name__),
            ("items", n),
            ("storage", f"{storage_type} at {storage_path}"),
            ("manifest", str(target)),
        ],
    )


@feat.command("extract-cuts")
@click.argument("cutset", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_cutset", type=click.Path())
@click.argument("storage_path", type=click.Path())
@_config_option
@_storage_option
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
def extract_cuts(cutset, output_cutset, storage_path, feature_manifest, storage_type, num_jobs):
    """Compute features of the cuts in CUTSET, store them at STORAGE_PATH, write OUTPUT_CUTSET."""
    from nuptse.cut import CutSet
    from nuptse.features.io import get_writer

    cuts = CutSet.from_file(cutset).compute_and_store_features(
        extractor=_extractor(feature_manifest),
        storage_path=storage_path,
        num_jobs=num_jobs,
        storage_type=get_writer(_storage_type(storage_type)),
    )
    Path(output_cutset).parent.mkdir(parents=True, exist_ok=True)
    cuts.to_file(output_cutset)
    summary("Features", [("cuts", len(cuts)), ("storage", str(storage_path))])


@feat.command("extract-cuts-batch")
@click.argument("cutset", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_cutset", type=click.Path())
@click.argument("storage_path", type=click.Path())
@_config_option
@_storage_option
@click.option("-j", "--num-jobs", type=int, default=4, show_default=True, help="Data loaders.")
@click.option(
    "-b",
    "--batch-duration",
    type=float,
    default=600.0,
    show_default=True,
    help="At most this many seconds of audio per batch.",
)
def extract_cuts_batch(
    cutset, output_cutset, storage_path, feature_manifest, storage_type, num_jobs, batch_duration
):
    """Compute features of CUTSET in batches (GPU-friendly), store them, write OUTPUT_CUTSET.

    A config with ``device: cuda`` runs the extractor on the GPU.
    """
    from nuptse.cut import CutSet
    from nuptse.features.io import get_writer

    cuts = CutSet.from_file(cutset).compute_and_store_features_batch(
        extractor=_extractor(feature_manifest),
        storage_path=storage_path,
        batch_duration=batch_duration,
        num_workers=num_jobs,
        storage_type=get_writer(_storage_type(storage_type)),
    )
    Path(output_cutset).parent.mkdir(parents=True, exist_ok=True)
    cuts.to_file(output_cutset)
    summary("Features", [("cuts", len(cuts)), ("storage", str(storage_path))])
