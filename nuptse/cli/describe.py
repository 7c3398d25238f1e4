"""``nuptse describe``: statistics of a manifest, optionally as a plot."""

from __future__ import annotations

import click

from nuptse.cli._common import hours, summary


def _stats(manifest) -> tuple[list[tuple[str, object]], list[float], dict[str, float]]:
    """(summary rows, item durations, speaker -> seconds) for any manifest type."""
    import numpy as np

    kind = type(manifest).__name__
    durations: list[float] = []
    speakers: dict[str, float] = {}
    n_sups = 0
    speech = 0.0
    for item in manifest:
        durations.append(float(item.duration))
        sups = getattr(item, "supervisions", None)
        is_cut = sups is not None
        if sups is None and kind == "SupervisionSet":
            sups = [item]
        spans = []
        for s in sups or []:
            n_sups += 1
            start, end = float(s.start), float(s.start + s.duration)
            if is_cut:  # supervisions may stick out of a cut: count only the inside
                start, end = max(0.0, start), min(float(item.duration), end)
            if end <= start:
                continue
            spans.append((start, end))
            spk = s.speaker if s.speaker is not None else "<unknown>"
            speakers[spk] = speakers.get(spk, 0.0) + (end - start)
        speech += _union_length(spans)
    rows: list[tuple[str, object]] = [("type", kind), ("items", len(durations))]
    if durations:
        d = np.asarray(durations)
        rows += [
            ("total duration", hours(float(d.sum()))),
            ("mean / std (s)", f"{d.mean():.2f} / {d.std():.2f}"),
            ("min / median / max (s)", f"{d.min():.2f} / {np.median(d):.2f} / {d.max():.2f}"),
            ("p95 / p99 (s)", f"{np.percentile(d, 95):.2f} / {np.percentile(d, 99):.2f}"),
        ]
    if n_sups:
        rows += [("supervisions", n_sups), ("speakers", len(speakers))]
        if kind == "CutSet" and durations:
            rows.append(("speech share", f"{100 * speech / max(sum(durations), 1e-9):.1f}%"))
    return rows, durations, speakers


def _union_length(spans: list[tuple[float, float]]) -> float:
    """Total length covered by possibly overlapping intervals."""
    total, cur_start, cur_end = 0.0, None, None
    for start, end in sorted(spans):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def plot_histograms(durations: list[float], speakers: dict[str, float], path: str) -> None:
    """Save duration and per-speaker histograms to ``path`` (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = 2 if speakers else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6 * ncols, 4), squeeze=False)
    ax = axes[0][0]
    ax.hist(durations, bins=min(50, max(5, len(durations) // 2)), color="tab:blue")
    ax.set_xlabel("duration (s)")
    ax.set_ylabel("count")
    ax.set_title(f"{len(durations)} items")
    if speakers:
        ax = axes[0][1]
        names = sorted(speakers, key=lambda k: -speakers[k])[:40]
        ax.bar(range(len(names)), [speakers[n] for n in names], color="tab:orange")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=90, fontsize=7)
        ax.set_ylabel("speech (s)")
        ax.set_title(f"{len(speakers)} speakers")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@click.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Save duration and speaker histograms to this PNG.",
)
def describe(manifest, plot_path):
    """Print statistics of MANIFEST (recordings, supervisions, features or cuts)."""
    from nuptse.cli._common import load_lazy_or_eager

    m = load_lazy_or_eager(manifest)
    rows, durations, speakers = _stats(m)
    if plot_path:
        plot_histograms(durations, speakers, plot_path)
        rows.append(("plot", plot_path))
    summary(f"Statistics of {manifest}", rows)
