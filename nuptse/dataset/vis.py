"""A quick look at a batch: its inputs (features or audio) and supervision spans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _first_key(d: Mapping, *keys: str):
    for key in keys:
        if key in d:
            return key
    raise KeyError(f"none of {keys} in the batch (keys: {sorted(d)})")


def plot_batch(batch: Mapping[str, Any], supervisions: bool = True, text: bool = True):
    """Plot each example of ``batch`` (features as an image, audio as a waveform) with matplotlib.

    Supervised spans are shaded and, with ``text``, labelled.  Returns the
    figure.
    """
    import matplotlib.pyplot as plt

    key = _first_key(batch, "inputs", "features", "audio")
    inputs = batch[key]
    n = inputs.shape[0]
    fig, axes = plt.subplots(n, 1, figsize=(12, 2.2 * n), squeeze=False)
    sups = batch.get("supervisions") if supervisions else None
    for i in range(n):
        ax = axes[i][0]
        x = inputs[i].detach().cpu().numpy()
        if x.ndim == 2:
            ax.imshow(x.T, origin="lower", aspect="auto", interpolation="nearest")
        else:
            ax.plot(x, linewidth=0.5)
        ax.set_ylabel(f"#{i}")
        if sups is None:
            continue
        start_key = "start_frame" if "start_frame" in sups else "start_sample"
        num_key = "num_frames" if "num_frames" in sups else "num_samples"
        for j, seq in enumerate(sups["sequence_idx"].tolist()):
            if seq != i:
                continue
            start = int(sups[start_key][j])
            end = start + int(sups[num_key][j])
            ax.axvspan(start, end, color="red", alpha=0.15)
            if text and "text" in sups:
                ax.text(start, ax.get_ylim()[1], str(sups["text"][j])[:80], va="top", fontsize=7)
    fig.tight_layout()
    return fig
