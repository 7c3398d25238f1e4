"""``nuptse download <corpus>``: fetch and unpack corpora (``nuptse.recipes.download_<corpus>``).

Options follow ``lhotse download <corpus>``; ``--base-url``/``--url`` options
(nuptse) point a download at a mirror, including a ``file://`` folder.
"""

from __future__ import annotations

import click

_TARGET = click.Path(file_okay=False)


@click.group()
def download():
    """Download and unpack a corpus."""


def _done(path) -> None:
    click.echo(f"Corpus at {path}")


@download.command("librispeech")
@click.argument("target_dir", type=_TARGET)
@click.option(
    "--full/--mini",
    default=True,
    show_default=True,
    help="The full LibriSpeech (7 parts) or Mini LibriSpeech (dev-clean-2, train-clean-5).",
)
@click.option(
    "--base-url",
    default="http://www.openslr.org/resources",
    show_default=True,
    help="OpenSLR resources URL or a mirror of it.",
)
def librispeech(target_dir, full, base_url):
    """(Mini) LibriSpeech from OpenSLR 12 / 31."""
    from nuptse.recipes import download_librispeech

    _done(
        download_librispeech(
            target_dir,
            dataset_parts="librispeech" if full else "mini_librispeech",
            base_url=base_url,
        )
    )


@download.command("musan")
@click.argument("target_dir", type=_TARGET)
@click.option("--url", default=None, help="URL of musan.tar.gz (default: OpenSLR 17).")
def musan(target_dir, url):
    """MUSAN (about 11 GB)."""
    from nuptse.recipes import download_musan
    from nuptse.recipes.musan import MUSAN_URL

    _done(download_musan(target_dir, url=url or MUSAN_URL))


@download.command("yesno")
@click.argument("target_dir", type=_TARGET)
@click.option("--url", default=None, help="URL of waves_yesno.tar.gz (default: OpenSLR 1).")
def yesno(target_dir, url):
    """yesno (4.5 MB)."""
    from nuptse.recipes import download_yesno
    from nuptse.recipes.yesno import _DEFAULT_URL

    _done(download_yesno(target_dir, url=url or _DEFAULT_URL))


@download.command("ljspeech")
@click.argument("target_dir", type=_TARGET, default=".")
def ljspeech(target_dir):
    """LJ Speech 1.1 (2.6 GB)."""
    from nuptse.recipes import download_ljspeech

    _done(download_ljspeech(target_dir))


@download.command("aishell")
@click.argument("target_dir", type=_TARGET)
@click.option("--base-url", default="http://www.openslr.org/resources", show_default=True)
def aishell(target_dir, base_url):
    """AISHELL-1 (OpenSLR 33)."""
    from nuptse.recipes import download_aishell

    _done(download_aishell(target_dir, base_url=base_url))


@download.command("commonvoice")
@click.argument("target_dir", type=_TARGET)
@click.option("-l", "--languages", default="all", show_default=True, help="Language code(s).")
@click.option(
    "-v",
    "--release",
    default="cv-corpus-13.0-2023-03-09",
    show_default=True,
    help="Common Voice release name (part of the download URL).",
)
def commonvoice(target_dir, languages, release):
    """Mozilla Common Voice."""
    from nuptse.recipes import download_commonvoice

    download_commonvoice(target_dir=target_dir, languages=languages, release=release)
    _done(target_dir)


@download.command("voxceleb1")
@click.argument("target_dir", type=_TARGET)
@click.option("--force-download", is_flag=True, help="Download again even if present.")
def voxceleb1(target_dir, force_download):
    """VoxCeleb1 (needs the VGG download credentials on most mirrors)."""
    from nuptse.recipes import download_voxceleb1

    _done(download_voxceleb1(target_dir, force_download=force_download))


@download.command("voxceleb2")
@click.argument("target_dir", type=_TARGET)
@click.option("--force-download", is_flag=True, help="Download again even if present.")
def voxceleb2(target_dir, force_download):
    """VoxCeleb2 (needs the VGG download credentials on most mirrors)."""
    from nuptse.recipes import download_voxceleb2

    _done(download_voxceleb2(target_dir, force_download=force_download))


@download.command("timit")
@click.argument("target_dir", type=_TARGET)
@click.option("--base-url", default=None, help="URL of timit.zip.")
def timit(target_dir, base_url):
    """TIMIT (from a public mirror of the LDC corpus)."""
    from nuptse.recipes import download_timit

    kwargs = {"base_url": base_url} if base_url else {}
    _done(download_timit(target_dir, **kwargs))


@download.command("ami")
@click.argument("target_dir", type=_TARGET)
@click.option("--annotations", type=click.Path(), default=None, help="Where to put the zip.")
@click.option(
    "--mic",
    type=click.Choice(["ihm", "ihm-mix", "sdm", "mdm", "mdm8-bf"], case_sensitive=False),
    default="ihm",
    show_default=True,
)
@click.option("--url", default="http://groups.inf.ed.ac.uk/ami", show_default=True)
@click.option("--force-download", type=bool, default=False, show_default=True)
def ami(target_dir, annotations, mic, url, force_download):
    """AMI meeting audio for one mic setting, and the NXT annotations."""
    from nuptse.recipes import download_ami

    _done(
        download_ami(
            target_dir, annotations=annotations, mic=mic, url=url, force_download=force_download
        )
    )


@download.command("tedlium")
@click.argument("target_dir", type=_TARGET)
def tedlium(target_dir):
    """TED-LIUM 3 (about 11 GB)."""
    from nuptse.recipes import download_tedlium

    _done(download_tedlium(target_dir))
