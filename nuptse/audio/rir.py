"""Random room impulse responses without a room simulator.

:class:`FastRandomRIRGenerator` follows the idea of FRA-RIR (Luo and Yu,
2022, "Fast Random Approximation of Multi-channel Room Impulse Response"):
instead of tracing image sources through a room geometry, draw a reverberation
time and a cloud of virtual sources (reflections) directly, give each one the
delay and the gain its path length implies, and add them up as band-limited
impulses.  This is our own implementation of that description; the field
names and defaults are lhotse's (so manifests interchange), the random
numbers are not: the same seeds give a different (but fixed) response in
lhotse.

What the fields mean here:

* ``room_seed`` draws the room: the reverberation time ``T60`` uniformly in
  ``[min(tau, max_T60), max_T60]`` seconds, the critical distance (0.5 to
  2 m, where direct and reverberant energy are equal), and the virtual
  sources' relative distances, polarities and gain perturbations (uniform
  in ``[a, b]`` dB).
* ``source_seed`` draws where the source is: the direct-path distance
  (0.5 to 3 m) and, for several channels (a small microphone array), each
  microphone's offset of every path (within +-5 cm).
* A virtual source at distance ``d`` (direct path ``d0``, longest path
  ``d_max = c * T60``) lies at ``d0 + (d_max - d0) * u ** alpha`` for
  ``u ~ U(0, 1)``: ``alpha < 1`` makes reflections denser late in the
  response, as in real rooms.  Its gain is ``d0 / d`` (spherical spreading)
  times ``10 ** (-3 (d - d0) / d_max)`` (60 dB of decay after ``T60``);
  all reflections are then scaled together so their energy is
  ``(d0 / critical distance) ** 2`` times the direct path's (a few virtual
  sources stand in for the many real reflections of a diffuse field).
* ``direct_range`` (ms, relative to the direct path) is the early part that
  ``early_only`` reverberation keeps.

The direct path has gain 1, so a generated response is not scaled by the
``2**-15`` factor applied to recorded responses.  With fixed seeds every call
returns the same response; a seed of None draws fresh randomness each call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Optional

import numpy as np

from nuptse.timing import compute_num_samples

SPEED_OF_SOUND = 343.0  # m/s
_MIN_T60 = 0.05
_REFLECTIONS_PER_SECOND = 10000  # virtual sources per second of T60
_CRITICAL_DISTANCE = (0.5, 2.0)  # m: where direct and reverberant energy are equal
_DIRECT_DISTANCE = (0.5, 3.0)  # m
_MIC_JITTER = 0.05  # m
_HALF_TAPS = 16  # band-limited impulse: 32 taps
_CUTOFF = 0.95  # of Nyquist
_CACHE_SIZE = 64
_cache: dict = {}
_cache_lock = threading.Lock()


@dataclass
class FastRandomRIRGenerator:
    """Seeded random RIRs (FRA-RIR style): ``gen(nsource)`` is ``(nsource, samples)``.

    >>> gen = FastRandomRIRGenerator(sr=8000, room_seed=1, source_seed=2)
    >>> h = gen(nsource=2)
    >>> h.shape[0], bool(np.array_equal(h, gen(nsource=2)))
    (2, True)
    """

    sr: int = 16000
    direct_range: list = field(default_factory=lambda: [-6, 50])
    max_T60: float = 0.8
    alpha: float = 0.25
    a: float = -2.0
    b: float = 2.0
    tau: float = 0.2
    room_seed: Optional[int] = None
    source_seed: Optional[int] = None

    def __post_init__(self):
        self.sr = int(self.sr)
        self.direct_range = list(self.direct_range)
        if len(self.direct_range) != 2 or self.direct_range[0] > self.direct_range[1]:
            raise ValueError(f"direct_range must be [low_ms, high_ms], got {self.direct_range}")
        if self.max_T60 <= 0 or self.sr <= 0:
            raise ValueError(
                f"FastRandomRIRGenerator needs sr > 0 and max_T60 > 0, got sr={self.sr}, "
                f"max_T60={self.max_T60}"
            )

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["direct_range"] = list(self.direct_range)
        return d

    @staticmethod
    def from_dict(data: dict) -> FastRandomRIRGenerator:
        known = {f.name for f in fields(FastRandomRIRGenerator)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown FastRandomRIRGenerator fields {sorted(unknown)} in {data!r}")
        return FastRandomRIRGenerator(**data)

    # ------------------------------------------------------------------ drawing
    def _room(self):
        rng = np.random.default_rng(self.room_seed)
        hi = max(float(self.max_T60), _MIN_T60)
        lo = min(max(float(self.tau), _MIN_T60), hi)
        t60 = float(rng.uniform(lo, hi))
        n = max(64, int(round(_REFLECTIONS_PER_SECOND * t60)))
        shape = rng.uniform(0.0, 1.0, n) ** float(self.alpha)
        sign = np.where(rng.uniform(0.0, 1.0, n) < 0.5, -1.0, 1.0)
        gain_db = rng.uniform(float(self.a), float(self.b), n)
        critical = float(rng.uniform(*_CRITICAL_DISTANCE))
        return t60, critical, shape, sign * 10.0 ** (gain_db / 20.0)

    def __call__(self, nsource: int = 1) -> np.ndarray:
        """``nsource`` responses (microphones of one array) as float32 ``(nsource, samples)``."""
        nsource = int(nsource)
        if nsource < 1:
            raise ValueError(f"nsource must be >= 1, got {nsource}")
        if self.room_seed is None or self.source_seed is None:
            return self._generate(nsource)
        # Seeded responses are pure functions of the fields: every load of a
        # reverberated recording reuses the one drawn for it.
        key = (*(repr(getattr(self, f.name)) for f in fields(self)), nsource)
        with _cache_lock:
            rir = _cache.pop(key, None)
            if rir is not None:
                _cache[key] = rir
                return rir.copy()
        rir = self._generate(nsource)
        rir.flags.writeable = False
        with _cache_lock:
            _cache[key] = rir
            while len(_cache) > _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
        return rir.copy()

    def _generate(self, nsource: int) -> np.ndarray:
        t60, critical, shape, gains = self._room()
        src = np.random.default_rng(self.source_seed)
        d0 = float(src.uniform(*_DIRECT_DISTANCE))
        d_max = max(SPEED_OF_SOUND * t60, 2.0 * d0)
        dist = d0 + (d_max - d0) * shape
        amp = (d0 / dist) * 10.0 ** (-3.0 * (dist - d0) / d_max) * gains
        # Each virtual source stands for many real reflections: scale them
        # together to the diffuse-field energy (d0 / critical distance)**2.
        amp *= d0 / critical / np.sqrt(np.sum(amp**2))
        amp = np.clip(amp, -0.95, 0.95)  # the direct path stays the strongest
        # Each microphone sees every path a few centimetres longer or shorter.
        jitter = src.uniform(-_MIC_JITTER, _MIC_JITTER, (nsource, len(dist) + 1))
        if nsource == 1:
            jitter[:] = 0.0
        paths = np.concatenate([[d0], dist])[None, :] + jitter
        paths = np.maximum(paths, 0.1)
        weights = np.concatenate([[1.0], amp])
        delays = paths / SPEED_OF_SOUND * self.sr  # in samples, fractional
        n = int(np.ceil(delays.max())) + 2 * _HALF_TAPS + 1
        out = np.empty((nsource, n), dtype=np.float32)
        k = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
        window = 0.5 + 0.5 * np.cos(np.pi * k / (_HALF_TAPS + 1))
        for ch in range(nsource):
            base = np.floor(delays[ch]).astype(np.int64)
            frac = delays[ch] - base
            taps = k[None, :] - frac[:, None]
            h = _CUTOFF * np.sinc(_CUTOFF * taps) * window[None, :] * weights[:, None]
            idx = base[:, None] + k[None, :] + _HALF_TAPS
            out[ch] = np.bincount(idx.ravel(), weights=h.ravel(), minlength=n)[:n]
        return out

    def early_part(self, rir: np.ndarray) -> np.ndarray:
        """Keep ``direct_range`` around each channel's direct path (zeros elsewhere)."""
        lo_ms, hi_ms = self.direct_range
        out = np.zeros_like(rir)
        for ch in range(rir.shape[0]):
            peak = int(np.argmax(np.abs(rir[ch])))
            lo = max(0, peak + _ms_to_samples(lo_ms, self.sr))
            hi = min(rir.shape[1], peak + _ms_to_samples(hi_ms, self.sr) + 1)
            out[ch, lo:hi] = rir[ch, lo:hi]
        return out


def _ms_to_samples(ms: float, sr: int) -> int:
    n = compute_num_samples(abs(ms) / 1000.0, sr)
    return -n if ms < 0 else n


__all__ = ["FastRandomRIRGenerator", "SPEED_OF_SOUND"]
