"""``nuptse prepare <corpus>``: corpus recipes (``nuptse.recipes.prepare_<corpus>``).

Options and output file names follow ``lhotse prepare <corpus>``.  Every
command ends with a table of what it wrote.
"""

from __future__ import annotations

import click

from nuptse.cli._common import hours, summary, table

_CORPUS = click.Path(exists=True, file_okay=False)


@click.group()
def prepare():
    """Turn a corpus folder into recording and supervision manifests."""


def _rows(manifests, prefix: str = ""):
    """(part, recordings, supervisions, speakers, duration) per part of a recipe's result."""
    for key, value in manifests.items():
        if not isinstance(value, dict):
            continue
        if "recordings" not in value and "supervisions" not in value:
            yield from _rows(value, prefix=f"{prefix}{key}/")
            continue
        recs = value.get("recordings")
        sups = value.get("supervisions")
        sup_list = list(sups) if sups is not None else []
        yield (
            f"{prefix}{key}",
            len(recs) if recs is not None else 0,
            len(sup_list),
            len({s.speaker for s in sup_list if s.speaker is not None}),
            hours(sum(r.duration for r in recs)) if recs is not None else "-",
        )


def _report(manifests, output_dir) -> None:
    rows = list(_rows(manifests))
    if rows:
        click.echo("")
        click.echo(table(["part", "recordings", "supervisions", "speakers", "duration"], rows))
    summary("Output", [("manifests written to", output_dir)])


def _one_or_many(values):
    """click's multiple=True tuple -> a single string when only one was given (lhotse's rule)."""
    return values[0] if len(values) == 1 else list(values)


@prepare.command("librispeech")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
@click.option(
    "-a",
    "--alignments-dir",
    type=_CORPUS,
    default=None,
    help="Folder with LibriSpeech-Alignments *.alignment.txt files.",
)
@click.option(
    "-p",
    "--dataset-parts",
    multiple=True,
    default=["auto"],
    show_default=True,
    help="Parts to prepare, repeatable ('auto': every part folder found; 'mini_librispeech').",
)
@click.option(
    "--normalize-text",
    type=click.Choice(["none", "lower"], case_sensitive=False),
    default="none",
    show_default=True,
)
@click.option(
    "-j",
    "--num-jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Parallel readers.",
)
def librispeech(corpus_dir, output_dir, alignments_dir, dataset_parts, normalize_text, num_jobs):
    """(Mini) LibriSpeech: PART/SPEAKER/CHAPTER/*.flac with *.trans.txt and SPEAKERS.TXT."""
    from nuptse.recipes import prepare_librispeech

    manifests = prepare_librispeech(
        corpus_dir,
        alignments_dir=alignments_dir,
        dataset_parts=_one_or_many(dataset_parts),
        output_dir=output_dir,
        normalize_text=normalize_text,
        num_jobs=num_jobs,
        progress=True,
    )
    _report(manifests, output_dir)


@prepare.command("musan")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
@click.option(
    "--use-vocals/--no-vocals",
    default=True,
    show_default=True,
    help="Keep music with vocals in the music supervisions.",
)
def musan(corpus_dir, output_dir, use_vocals):
    """MUSAN music, speech and noise recordings (music with genre annotations)."""
    from nuptse.recipes import prepare_musan

    _report(prepare_musan(corpus_dir, output_dir=output_dir, use_vocals=use_vocals), output_dir)


@prepare.command("yesno")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
def yesno(corpus_dir, output_dir):
    """yesno: 60 Hebrew yes/no recordings, transcripts in the file names."""
    from nuptse.recipes import prepare_yesno

    _report(prepare_yesno(corpus_dir, output_dir=output_dir), output_dir)


@prepare.command("ljspeech")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
def ljspeech(corpus_dir, output_dir):
    """LJ Speech: metadata.csv and wavs/."""
    from nuptse.recipes import prepare_ljspeech

    _report({"all": prepare_ljspeech(corpus_dir, output_dir=output_dir)}, output_dir)


@prepare.command("aishell")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
def aishell(corpus_dir, output_dir):
    """AISHELL-1 Mandarin: data_aishell/wav/{train,dev,test} and the v0.8 transcript."""
    from nuptse.recipes import prepare_aishell

    _report(prepare_aishell(corpus_dir, output_dir=output_dir), output_dir)


@prepare.command("commonvoice")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
@click.option(
    "-l",
    "--language",
    default=["auto"],
    multiple=True,
    show_default=True,
    help="Language codes to prepare, repeatable ('auto': every language folder found).",
)
@click.option(
    "-s",
    "--split",
    default=["train", "dev", "test"],
    multiple=True,
    show_default=True,
    help="Splits (TSV files) to prepare: train, dev, test, validated, invalidated, other.",
)
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
def commonvoice(corpus_dir, output_dir, language, split, num_jobs):
    """Mozilla Common Voice: CORPUS_DIR/<lang>/{split}.tsv and CORPUS_DIR/<lang>/clips/."""
    from nuptse.recipes import prepare_commonvoice

    manifests = prepare_commonvoice(
        corpus_dir,
        output_dir=output_dir,
        languages=_one_or_many(language),
        splits=list(split),
        num_jobs=num_jobs,
    )
    _report(manifests, output_dir)


@prepare.command("voxceleb")
@click.argument("output_dir", type=click.Path())
@click.option("--voxceleb1", "-v1", type=click.Path(), default=None, help="VoxCeleb1 folder.")
@click.option("--voxceleb2", "-v2", type=click.Path(), default=None, help="VoxCeleb2 folder.")
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
def voxceleb(output_dir, voxceleb1, voxceleb2, num_jobs):
    """VoxCeleb 1 and/or 2 (train: VoxCeleb2 + VoxCeleb1 dev; test: VoxCeleb1 test + trials)."""
    from nuptse.recipes import prepare_voxceleb

    manifests = prepare_voxceleb(
        voxceleb1_root=voxceleb1,
        voxceleb2_root=voxceleb2,
        output_dir=output_dir,
        num_jobs=num_jobs,
    )
    _report(manifests, output_dir)


@prepare.command("timit")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
@click.option(
    "-p",
    "--num-phones",
    type=click.Choice(["60", "48", "39"]),
    default="48",
    show_default=True,
    help="Phone set of the phone alignments.",
)
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
def timit(corpus_dir, output_dir, num_phones, num_jobs):
    """TIMIT: data/{TRAIN,TEST}/DR*/SPEAKER/*.WAV with .TXT, .WRD and .PHN files."""
    from nuptse.recipes import prepare_timit

    manifests = prepare_timit(
        corpus_dir, output_dir=output_dir, num_phones=int(num_phones), num_jobs=num_jobs
    )
    _report(manifests, output_dir)


_MICS = ["ihm", "ihm-mix", "sdm", "mdm", "mdm8-bf"]


@prepare.command("ami")
@click.argument("corpus_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
@click.option(
    "--annotations",
    type=click.Path(),
    default=None,
    help="The ami_public_manual_1.6.2 folder or zip, when not inside CORPUS_DIR.",
)
@click.option(
    "--mic",
    type=click.Choice(_MICS, case_sensitive=False),
    default="ihm",
    show_default=True,
    help="Microphone setting.",
)
@click.option(
    "--partition",
    type=click.Choice(["scenario-only", "full-corpus", "full-corpus-asr"], case_sensitive=False),
    default="full-corpus-asr",
    show_default=True,
    help="Official train/dev/test split.",
)
@click.option(
    "--normalize-text",
    type=click.Choice(["none", "upper", "kaldi"], case_sensitive=False),
    default="kaldi",
    show_default=True,
)
@click.option(
    "--max-words-per-segment",
    type=int,
    default=None,
    help="Split longer segments at full stops and commas (Kaldi-style).",
)
@click.option(
    "--merge-consecutive", is_flag=True, help="Merge touching sentence pieces of one speaker."
)
@click.option("--keep-punctuation", is_flag=True, help="Keep punctuation in the text.")
def ami(
    corpus_dir,
    output_dir,
    annotations,
    mic,
    partition,
    normalize_text,
    max_words_per_segment,
    merge_consecutive,
    keep_punctuation,
):
    """AMI meetings: audio in <meeting>/audio/, NXT word annotations (ami_public_manual_1.6.2)."""
    from nuptse.recipes import prepare_ami

    manifests = prepare_ami(
        corpus_dir,
        annotations_dir=annotations,
        output_dir=output_dir,
        mic=mic,
        partition=partition,
        normalize_text=normalize_text,
        max_words_per_segment=max_words_per_segment,
        merge_consecutive=merge_consecutive,
        keep_punctuation=keep_punctuation,
    )
    _report(manifests, output_dir)


@prepare.command("tedlium")
@click.argument("tedlium_dir", type=_CORPUS)
@click.argument("output_dir", type=click.Path())
@click.option(
    "-p",
    "--parts",
    type=click.Choice(["train", "dev", "test"]),
    multiple=True,
    default=["train", "dev", "test"],
    show_default=True,
)
@click.option("-j", "--num-jobs", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--normalize-text",
    type=click.Choice(["none", "upper", "kaldi"], case_sensitive=False),
    default="none",
    show_default=True,
    help="'kaldi' removes <unk> and noise tokens and re-joins contractions.",
)
def tedlium(tedlium_dir, output_dir, parts, num_jobs, normalize_text):
    """TED-LIUM 3: legacy/{train,dev,test}/{sph,stm}/."""
    from nuptse.recipes import prepare_tedlium

    manifests = prepare_tedlium(
        tedlium_root=tedlium_dir,
        output_dir=output_dir,
        dataset_parts=list(parts),
        num_jobs=num_jobs,
        normalize_text=normalize_text,
    )
    _report(manifests, output_dir)
