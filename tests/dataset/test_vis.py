"""plot_batch draws one panel per example with the supervised spans shaded."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from nuptse.dataset import K2SpeechRecognitionDataset, plot_batch  # noqa: E402


def test_plot_batch(cuts_with_feats, tmp_path):
    batch = K2SpeechRecognitionDataset()[cuts_with_feats]
    fig = plot_batch(batch)
    assert len(fig.axes) == 3
    # two supervisions per example -> two shaded spans per panel
    assert all(len(ax.patches) == 2 for ax in fig.axes)
    fig.savefig(tmp_path / "batch.png")
    assert (tmp_path / "batch.png").stat().st_size > 0
