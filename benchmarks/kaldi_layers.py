"""Speed of the Kaldi feature layers: nuptse vs lhotse 1.33 vs kaldi-native-fbank.

Builds 20+ minutes of 16 kHz speech (utterances of 4-16 s made by tiling the
fixture recordings), then times log-mel fbank (80 bins) and MFCC (13 ceps)
with the default options and dither 0:

* per utterance (one ``(1, N)`` call each) and batched (padded batches of 16
  with ``lengths`` for nuptse; lhotse has no ``lengths`` and computes the
  padding too), with 1 and 2 torch threads;
* a compute floor measured in the same run: ``torch.fft.rfft`` of the
  already framed, windowed and padded signal plus the mel matmul, nothing
  else (per utterance, and per batch on all its frames at once);
* kaldi-native-fbank (single-threaded C++, per utterance) for reference;
* batched against per utterance under the same conditions: each batch's
  rounds also time its utterances one by one (the per-utterance rows take
  each utterance's best time, which favours them on a noisy machine).

Each utterance (or batch) is timed a few times with the implementations
interleaved, and its best time counts (robust on a busy machine); each
batch is timed right after its utterances, so that both modes see the same
stretch of the machine's time.
Times are reported as x real time (seconds of audio per second of compute)
and as ratios.  ``--quick`` uses about 2 minutes of audio and 3 rounds.
``--clock cpu`` times with the process CPU clock instead of the wall clock
(steadier on a shared machine; with 2 threads it adds both threads' time).
``--profile`` prints, instead, nuptse's torch ops (self CPU time per call)
for one 10 s utterance.  ``--fresh-shapes`` (diagnostic) shortens each
per-utterance call's signal, nuptse's and lhotse's alike, by a different
number of samples (1 to 159, so at most one frame less), so that no call
repeats an earlier call's length: what data whose utterances all differ in
length sees (the rounds otherwise repeat each utterance's shape, and
nuptse's short path keeps per-shape views; the floor's inputs are
unchanged).

    python benchmarks/kaldi_layers.py [--quick] [--threads 1 2] [--clock cpu] [--profile]
        [--only fbank mfcc] [--rounds N] [--fresh-shapes]
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from nuptse.features.kaldi import layers as ours

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SOURCES = [
    "libri/libri-1088-134315-0000.wav",
    "mix_cut_test/audio/storage/2412-153948-0000.flac",
    "mix_cut_test/audio/storage/2412-153948-0001.flac",
    "ami/ES2011a.Headset-0-40s-46s.wav",
]
SR = 16000


def make_utterances(total_seconds: float, seed: int = 0) -> list[np.ndarray]:
    speech = np.concatenate([sf.read(str(FIXTURES / p), dtype="float32")[0] for p in SOURCES])
    rng = np.random.default_rng(seed)
    utts, total, pos = [], 0.0, 0
    while total < total_seconds:
        n = int(rng.uniform(4.0, 16.0) * SR)
        idx = (pos + np.arange(n)) % len(speech)
        utts.append(speech[idx].copy())
        pos += n // 3
        total += n / SR
    return utts


CLOCK = time.perf_counter


def best_of(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = CLOCK()
        fn()
        best = min(best, CLOCK() - start)
    return best


def interleaved(jobs: dict, items: list, rounds: int) -> dict:
    """Total over ``items`` of each job's best time per item; jobs alternate per item.

    Taking the minimum per item, with the jobs interleaved, keeps a busy
    machine's noise out of the comparison.
    """
    totals = {name: 0.0 for name in jobs}
    for item in items:
        best = {name: float("inf") for name in jobs}
        for _ in range(rounds):
            for name, fn in jobs.items():
                start = CLOCK()
                fn(item)
                best[name] = min(best[name], CLOCK() - start)
        for name in jobs:
            totals[name] += best[name]
    return totals


def floor(frames: torch.Tensor, power: torch.Tensor, fb: torch.Tensor) -> None:
    """The compute floor: FFT of ready frames, and the mel product of a ready power spectrum."""
    torch.fft.rfft(frames)
    torch.matmul(power, fb)


def knf_runner(kind: str, utts):
    try:
        import kaldi_native_fbank as knf
    except ImportError:
        return None
    if kind == "fbank":
        opts = knf.FbankOptions()
        opts.mel_opts.num_bins = 80
    else:
        opts = knf.MfccOptions()
        opts.mel_opts.num_bins = 23
        opts.use_energy = False
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.mel_opts.high_freq = -400.0
    cls = knf.OnlineFbank if kind == "fbank" else knf.OnlineMfcc
    lists = [u.tolist() for u in utts]

    def run():
        for u in lists:
            comp = cls(opts)
            comp.accept_waveform(SR, u)
            comp.input_finished()
            for i in range(comp.num_frames_ready):
                comp.get_frame(i)

    return run


def floor_inputs(layer, utts):
    """Pre-framed padded frames and power spectra: the floor's inputs."""
    frames, powers = [], []
    with torch.inference_mode():
        for u in utts:
            f, _ = layer.wav2win._frames(torch.from_numpy(u)[None], False)
            frames.append(f.contiguous())
            spec = torch.fft.rfft(f)
            powers.append((spec.real.square() + spec.imag.square()).contiguous())
    return frames, powers


def batches_of(utts, size: int):
    out = []
    for i in range(0, len(utts), size):
        group = utts[i : i + size]
        lengths = torch.tensor([len(u) for u in group])
        x = torch.zeros(len(group), int(lengths.max()))
        for j, u in enumerate(group):
            x[j, : len(u)] = torch.from_numpy(u)
        out.append((x, lengths))
    return out


def _fresh_shapes():
    """A function that shortens each signal it is given by 1, 2, ..., 159, 1, ... samples."""
    count = itertools.count()

    def trim(x: torch.Tensor) -> torch.Tensor:
        return x[:, : x.size(1) - 1 - next(count) % 159]

    return trim


def profile_ops(utts) -> None:
    """nuptse's torch ops for one 10 s utterance: self CPU time per call, 1 thread."""
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(1)
    speech = np.concatenate(utts)[: 10 * SR]
    x = torch.from_numpy(speech.copy())[None]
    calls = 40
    for layer in (ours.Wav2LogFilterBank(), ours.Wav2MFCC()):
        with torch.inference_mode():
            for _ in range(10):
                layer(x)
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(calls):
                    layer(x)
            best = float("inf")
            for _ in range(50):
                start = time.perf_counter()
                layer(x)
                best = min(best, time.perf_counter() - start)
        events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        print(f"{type(layer).__name__}: best call {best * 1e6:.0f} us (10 s, 1000 frames)")
        listed = 0.0
        for e in events:
            per_call = e.self_cpu_time_total / calls
            listed += per_call
            if per_call >= 1.0:
                print(f"  {e.key:24} {per_call:8.1f} us  x{e.count / calls:.0f}")
        print(f"  {'(torch ops in all)':24} {listed:8.1f} us; the rest is Python")


def main() -> None:
    global CLOCK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 2 minutes of audio")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts to run"
    )
    parser.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall", help="wall clock or process CPU time"
    )
    parser.add_argument(
        "--profile", action="store_true", help="per-op times of nuptse's layers (no comparison)"
    )
    parser.add_argument(
        "--only",
        choices=["fbank", "mfcc"],
        nargs="+",
        default=["fbank", "mfcc"],
        help="features to time",
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="timings per item (default 5, --quick 3)"
    )
    parser.add_argument(
        "--fresh-shapes",
        action="store_true",
        help="per utterance: shorten each call's signal by a different number of samples",
    )
    args = parser.parse_args()
    if args.clock == "cpu":
        CLOCK = time.process_time

    if args.profile:
        profile_ops(make_utterances(30.0))
        return

    import lhotse.features.kaldi.layers as theirs

    seconds = 120.0 if args.quick else 1230.0
    rounds = args.rounds if args.rounds else (3 if args.quick else 5)
    utts = make_utterances(seconds)
    audio = sum(len(u) for u in utts) / SR
    tensors = [torch.from_numpy(u)[None] for u in utts]
    batches = batches_of(utts, args.batch_size)
    print(
        f"{len(utts)} utterances, {audio / 60:.1f} min of audio, "
        f"batches of {args.batch_size}, best of {rounds} rounds, {args.clock} clock"
    )
    print(
        f"{'feature':7} {'threads':>7} {'mode':>9} {'nuptse xRT':>11} {'lhotse xRT':>11} "
        f"{'floor xRT':>10} {'knf xRT':>8} {'vs lhotse':>10} {'vs floor':>9} {'vs knf':>7}"
    )

    for kind in args.only:
        mine = ours.Wav2LogFilterBank() if kind == "fbank" else ours.Wav2MFCC()
        other = theirs.Wav2LogFilterBank() if kind == "fbank" else theirs.Wav2MFCC()
        frames, powers = floor_inputs(mine, utts)
        fb = mine._fb.float()
        batch_frames = [
            torch.cat([frames[k] for k in range(i, min(i + args.batch_size, len(utts)))], 1)
            for i in range(0, len(utts), args.batch_size)
        ]
        batch_powers = [
            torch.cat([powers[k] for k in range(i, min(i + args.batch_size, len(utts)))], 1)
            for i in range(0, len(utts), args.batch_size)
        ]
        knf_run = knf_runner(kind, utts)
        knf_time = best_of(knf_run, 1) if knf_run is not None else float("nan")
        fb = fb.contiguous()
        per_utt = [(t, f, p) for t, f, p in zip(tensors, frames, powers)]
        # (each job its own counter, so that both see the same lengths)
        trims = [_fresh_shapes() if args.fresh_shapes else (lambda x: x) for _ in range(2)]
        # each batch with its utterances, so that the same round also times
        # them one by one (batched vs per-utterance, under the same conditions)
        groups = [tensors[i : i + args.batch_size] for i in range(0, len(utts), args.batch_size)]
        batched = [
            (x, n, f, p, g) for (x, n), f, p, g in zip(batches, batch_frames, batch_powers, groups)
        ]
        for threads in args.threads:
            torch.set_num_threads(threads)
            with torch.inference_mode():
                utt_jobs = {
                    "nuptse": lambda it, m=mine, t=trims[0]: m(t(it[0])),
                    "lhotse": lambda it, o=other, t=trims[1]: o(t(it[0])),
                    "floor": lambda it, w=fb: floor(it[1], it[2], w),
                }
                bat_jobs = {
                    "nuptse": lambda it, m=mine: m(it[0], it[1]),
                    "lhotse": lambda it, o=other: o(it[0]),
                    "floor": lambda it, w=fb: floor(it[2], it[3], w),
                    "nuptse-single": lambda it, m=mine: [m(t) for t in it[4]],
                }
                utt = dict.fromkeys(utt_jobs, 0.0)
                bat = dict.fromkeys(bat_jobs, 0.0)
                # Batch by batch, its utterances one by one and then the batch,
                # so that both modes are timed in the same stretch of time (a
                # shared machine's speed drifts over a run).
                for g, item in enumerate(batched):
                    size = args.batch_size
                    part = interleaved(utt_jobs, per_utt[g * size : (g + 1) * size], rounds)
                    for name, spent in part.items():
                        utt[name] += spent
                    for name, spent in interleaved(bat_jobs, [item], rounds).items():
                        bat[name] += spent
            t_mine, t_other, t_floor = utt["nuptse"], utt["lhotse"], utt["floor"]
            b_mine, b_other, b_floor = bat["nuptse"], bat["lhotse"], bat["floor"]
            for mode, tm, to, tf in (
                ("per-utt", t_mine, t_other, t_floor),
                ("batched", b_mine, b_other, b_floor),
            ):
                print(
                    f"{kind:7} {threads:>7} {mode:>9} {audio / tm:>11.0f} {audio / to:>11.0f} "
                    f"{audio / tf:>10.0f} {audio / knf_time:>8.0f} {to / tm:>9.2f}x "
                    f"{tm / tf:>8.2f}x {knf_time / tm:>6.1f}x"
                )
            print(
                f"{kind:7} {threads:>7} batched vs the same utterances one by one, "
                f"timed in the same rounds: {bat['nuptse-single'] / b_mine:.2f}x faster"
            )
    print(
        "xRT = seconds of audio per second of compute; 'vs lhotse' = lhotse time / nuptse time "
        "(higher is better); 'vs floor' = nuptse time / floor time (lower is better); "
        "knf is single-threaded per utterance in every row."
    )


if __name__ == "__main__":
    main()
