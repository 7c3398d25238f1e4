"""CLI wall time: ``nuptse`` vs ``lhotse`` side by side.

Measures (each as separate processes, as a user would run them):

* ``--help``: start-up time of the command line, median of several runs;
* ``prepare librispeech CORPUS OUT -j N``: on a LibriSpeech-layout tree of
  2,000 utterances (``--quick``: 300) made by hard-linking (or copying) the
  fixture FLAC files of ``tests/fixtures/mini_corpus`` under new speaker,
  chapter and utterance ids, with transcripts, alignments and SPEAKERS.TXT.

Targets: ``--help`` <= 0.3x lhotse's time; prepare >= 2x faster at equal -j.

    .venv/bin/python benchmarks/cli.py [--quick] [--num-jobs 1 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "mini_corpus"
BIN = Path(sys.executable).parent


def _exe(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"cannot find the '{name}' command; install it into this environment")
    return found


def build_corpus(root: Path, num_utts: int, part: str = "dev-clean") -> Path:
    """A LibriSpeech-layout tree of ``num_utts`` utterances tiled from the fixtures."""
    src_flacs = sorted((FIXTURES / "dev-clean-2").glob("*/*/*.flac"))
    texts: dict[str, str] = {}
    for trans in (FIXTURES / "dev-clean-2").glob("*/*/*.trans.txt"):
        for line in trans.read_text().splitlines():
            utt, text = line.split(maxsplit=1)
            texts[utt] = text
    alis: dict[str, str] = {}
    for ali in (FIXTURES / "alignments" / "dev-clean-2").glob("*/*/*.alignment.txt"):
        for line in ali.read_text().splitlines():
            utt, rest = line.split(maxsplit=1)
            alis[utt] = rest
    corpus = root / "LibriSpeech"
    per_chapter = 20
    chapters_per_speaker = 5
    speakers_lines = [";ID  |SEX| SUBSET           |MINUTES| NAME"]
    n = 0
    spk = 100
    while n < num_utts:
        spk += 1
        speakers_lines.append(f"{spk} | {'MF'[spk % 2]} | {part} | 1.00 | speaker {spk}")
        for chap in range(chapters_per_speaker):
            if n >= num_utts:
                break
            chap_id = 1000 + chap
            d = corpus / part / str(spk) / str(chap_id)
            a = corpus / "alignments" / part / str(spk) / str(chap_id)
            d.mkdir(parents=True, exist_ok=True)
            a.mkdir(parents=True, exist_ok=True)
            trans, ali = [], []
            for k in range(per_chapter):
                if n >= num_utts:
                    break
                src = src_flacs[n % len(src_flacs)]
                utt = f"{spk}-{chap_id}-{k:04d}"
                dst = d / f"{utt}.flac"
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
                trans.append(f"{utt} {texts[src.stem]}")
                ali.append(f"{utt} {alis[src.stem]}")
                n += 1
            (d / f"{spk}-{chap_id}.trans.txt").write_text("\n".join(trans) + "\n")
            (a / f"{spk}-{chap_id}.alignment.txt").write_text("\n".join(ali) + "\n")
    (corpus / "SPEAKERS.TXT").write_text("\n".join(speakers_lines) + "\n")
    return corpus


def timed(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed


def median_time(cmd: list[str], repeats: int) -> float:
    timed(cmd)  # warm the file cache
    return statistics.median(timed(cmd) for _ in range(repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="300 utterances, fewer repeats")
    ap.add_argument("--num-utts", type=int, default=None)
    ap.add_argument("--num-jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args()
    num_utts = args.num_utts or (300 if args.quick else 2000)
    repeats = args.repeats or (3 if args.quick else 7)
    nuptse, lhotse = _exe("nuptse"), _exe("lhotse")

    print(f"# CLI benchmark ({'quick' if args.quick else 'full'}), python {sys.version.split()[0]}")
    h_n = median_time([nuptse, "--help"], repeats)
    h_l = median_time([lhotse, "--help"], repeats)
    print(
        f"--help                 nuptse {h_n:7.3f} s   lhotse {h_l:7.3f} s   ratio {h_n / h_l:5.2f}x (target <= 0.30x)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        corpus = build_corpus(tmp, num_utts)
        print(f"corpus: {num_utts} utterances built in {time.perf_counter() - t0:.1f} s")
        for jobs in args.num_jobs:
            p_runs, l_runs = [], []
            for rep in range(max(1, repeats // 3)):
                out_n, out_l = tmp / f"n{jobs}_{rep}", tmp / f"l{jobs}_{rep}"
                p_runs.append(
                    timed(
                        [
                            nuptse,
                            "prepare",
                            "librispeech",
                            str(corpus),
                            str(out_n),
                            "--alignments-dir",
                            str(corpus / "alignments"),
                            "-j",
                            str(jobs),
                        ]
                    )
                )
                l_runs.append(
                    timed(
                        [
                            lhotse,
                            "prepare",
                            "librispeech",
                            str(corpus),
                            str(out_l),
                            "--alignments-dir",
                            str(corpus / "alignments"),
                            "-j",
                            str(jobs),
                        ]
                    )
                )
            p, lt = min(p_runs), min(l_runs)
            print(
                f"prepare librispeech -j {jobs}  nuptse {p:7.3f} s   lhotse {lt:7.3f} s   "
                f"speed-up {lt / p:5.2f}x (target >= 2x)"
            )
        in_process(corpus, args.num_jobs)


def in_process(corpus: Path, jobs_list: list[int]) -> None:
    """The recipe functions alone (imports done beforehand, no files written)."""
    import logging

    import lhotse.recipes

    import nuptse.recipes

    logging.disable(logging.WARNING)
    for jobs in jobs_list:
        times = {}
        for name, fn in (
            ("nuptse", nuptse.recipes.prepare_librispeech),
            ("lhotse", lhotse.recipes.prepare_librispeech),
        ):
            t0 = time.perf_counter()
            fn(corpus, alignments_dir=corpus / "alignments", num_jobs=jobs)
            times[name] = time.perf_counter() - t0
        print(
            f"prepare_librispeech() in-process -j {jobs}  nuptse {times['nuptse']:7.3f} s   "
            f"lhotse {times['lhotse']:7.3f} s   speed-up {times['lhotse'] / times['nuptse']:5.2f}x"
        )


if __name__ == "__main__":
    main()
