"""Looking at and listening to cuts: waveform, feature and alignment plots (matplotlib)
and a notebook audio player (IPython).  Both packages are imported only when used."""

from __future__ import annotations

import numpy as np

from nuptse.cut.registry import CutError
from nuptse.timing import compute_num_frames


class PlotsMixin:
    """Plotting and playback methods of every cut."""

    def plot_audio(self, ax=None, **kwargs):
        """The waveform (channels summed) with the supervisions shaded; returns the axes.

        ``kwargs`` go to ``ax.plot`` (e.g. ``color``, ``linewidth``).
        """
        import matplotlib.pyplot as plt

        samples = self.load_audio().sum(axis=0)
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(np.linspace(0, self.duration, len(samples)), samples, **kwargs)
        for sup in self.supervisions:
            sup = sup.trim(self.duration)
            ax.axvspan(sup.start, sup.end, color="green", alpha=0.1)
        return ax

    def play_audio(self):
        """A notebook widget that plays the cut's audio (Jupyter, Colab, ...)."""
        from IPython.display import Audio

        return Audio(self.load_audio().squeeze(), rate=self.sampling_rate)

    def plot_features(self):
        """The feature matrix as an image, low bins at the bottom."""
        import matplotlib.pyplot as plt

        return plt.matshow(np.flip(self.load_features().T, 0))

    def plot_alignment(self, alignment_type: str = "word"):
        """A filterbank image of the cut with the ends of its one supervision's alignment
        items (of ``alignment_type``) marked and labelled."""
        import matplotlib.pyplot as plt

        from nuptse.features import Fbank

        if len(self.supervisions) != 1:
            raise CutError(
                f"cut {self.id!r}: plotting an alignment needs exactly one supervision, "
                f"it has {len(self.supervisions)}"
            )
        sup = self.supervisions[0]
        items = (sup.alignment or {}).get(alignment_type)
        if items is None:
            raise CutError(
                f"cut {self.id!r}: supervision {sup.id!r} has no {alignment_type!r} alignment"
            )
        fbank = Fbank()
        sr = fbank.config.sampling_rate
        feats = self.resample(sr).compute_features(fbank)
        plt.matshow(np.flip(feats.T, 0))
        plt.title(
            f"Cut ID:{self.id}, Speaker:{sup.speaker or '<unknown>'}, "
            f"Language:{sup.language or '<unknown>'}"
        )
        plt.tick_params(axis="both", which="major", labelbottom=True, labeltop=False)
        for i, item in enumerate(items):
            end = compute_num_frames(item.end, fbank.frame_shift, sr)
            plt.text(end - 4, 70 if i % 2 else 45, item.symbol, color="w", rotation="vertical")
            plt.axvline(end, color="k")
        plt.show()


class TrackPlotsMixin:
    """Per-track plots of a mixed cut."""

    def plot_tracks_features(self):
        """One feature image per audible track, on a shared colour scale; returns the axes."""
        import matplotlib.pyplot as plt

        feats = self.load_features(mixed=False)
        _, axes = plt.subplots(len(feats))
        axes = np.atleast_1d(axes)
        lo, hi = feats.min(), feats.max()
        for f, ax in zip(feats, axes):
            ax.imshow(np.flip(f.T, 0), vmin=lo, vmax=hi)
        return axes

    def plot_tracks_audio(self):
        """One waveform per audible track (its supervisions shaded); returns the axes."""
        import matplotlib.pyplot as plt

        audio = self.load_audio(mixed=False)
        tracks = self._audible
        _, axes = plt.subplots(len(tracks), sharex=False, sharey=True)
        axes = np.atleast_1d(axes)
        for samples, track, ax in zip(audio, tracks, axes):
            samples = samples.sum(axis=0)
            ax.plot(np.linspace(0, self.duration, len(samples)), samples)
            for sup in track.cut.supervisions:
                sup = sup.trim(track.cut.duration)
                ax.axvspan(
                    track.offset + sup.start, track.offset + sup.end, color="green", alpha=0.1
                )
        return axes
