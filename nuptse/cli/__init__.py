"""The ``nuptse`` command line.

Commands, options and output files follow lhotse's ``lhotse`` command, so a
recipe's shell script ports by replacing ``lhotse`` with ``nuptse``; nuptse
adds ``describe``, ``demo``, ``kaldi`` and a ``validate`` that reports every
problem.  Every subcommand lives in its own module and is imported only when
it runs (see :class:`~nuptse.cli._lazy.LazyGroup`), and command modules
import the library inside their functions, so ``nuptse --help`` starts in a
fraction of a second.  Errors end the program with exit status 1 and one
readable line; ``nuptse --verbose ...`` shows the full traceback instead.
"""

from __future__ import annotations

import logging
import sys

import click

from nuptse import __version__
from nuptse.cli._lazy import LazyGroup

#: name -> ("module:attribute", one-line help shown by ``nuptse --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "prepare": ("nuptse.cli.prepare:prepare", "Prepare manifests of a corpus (recipes)."),
    "download": ("nuptse.cli.download:download", "Download and unpack a corpus."),
    "copy": ("nuptse.cli.manipulation:copy", "Load a manifest and store it (format conversion)."),
    "combine": ("nuptse.cli.manipulation:combine", "Combine manifests into one."),
    "subset": ("nuptse.cli.manipulation:subset", "Keep the first/last N items or given cut ids."),
    "filter": ("nuptse.cli.manipulation:filter_", "Keep the items matching 'attr<op>number'."),
    "split": ("nuptse.cli.manipulation:split", "Split a manifest into N equal parts."),
    "split-lazy": ("nuptse.cli.manipulation:split_lazy", "Split a manifest into chunks of N."),
    "copy-feats": ("nuptse.cli.manipulation:copy_feats", "Copy feature matrices to new storage."),
    "cut": ("nuptse.cli.cut:cut", "Create and reshape cut manifests."),
    "feat": ("nuptse.cli.feat:feat", "Compute and store features."),
    "shar": ("nuptse.cli.shar:shar", "Lhotse Shar format: export, compute features, import."),
    "kaldi": ("nuptse.cli.kaldi:kaldi", "Kaldi data directory import and export."),
    "validate": ("nuptse.cli.validate:validate", "Check manifests and report every problem."),
    "validate-pair": (
        "nuptse.cli.validate:validate_pair",
        "Check recordings and supervisions against each other.",
    ),
    "fix": ("nuptse.cli.validate:fix", "Drop orphans and trim supervisions to recordings."),
    "describe": ("nuptse.cli.describe:describe", "Statistics of any manifest (optionally a plot)."),
    "list-storage-backends": (
        "nuptse.cli.misc:list_storage_backends",
        "Feature storage backends, marking unavailable ones.",
    ),
    "list-storage-types": (
        "nuptse.cli.misc:list_storage_backends",
        "Alias of list-storage-backends.",
    ),
    "list-audio-backends": (
        "nuptse.cli.misc:list_audio_backends",
        "Audio decoding backends available here.",
    ),
    "list-io-backends": ("nuptse.cli.misc:list_io_backends", "Manifest IO backends."),
    "list-resampling-backends": (
        "nuptse.cli.misc:list_resampling_backends",
        "Resampling backends.",
    ),
    "supervision": (
        "nuptse.cli.supervision:supervision",
        "Edit supervision manifests (add CTM alignments).",
    ),
    "demo": ("nuptse.cli.demo:demo", "Run the whole pipeline on the bundled sample corpus."),
}


class _Root(LazyGroup):
    """The root group: any exception becomes one line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as e:  # noqa: BLE001 - the CLI's last line of defence
            if ctx.params.get("verbose"):
                raise
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            click.echo(f"Error: {type(e).__name__}: {first}".rstrip(": "), err=True)
            ctx.exit(1)


@click.group(cls=_Root, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nuptse")
@click.option("-s", "--seed", type=int, default=None, help="Random seed.")
@click.option("-v", "--verbose", is_flag=True, help="Log details and show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, seed: int | None, verbose: bool):
    """nuptse: speech data preparation (manifests, features, Shar)."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if seed is not None:
        from nuptse.utils import fix_random_seed

        fix_random_seed(seed)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``nuptse = "nuptse.cli:main"``)."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="nuptse")


__all__ = ["COMMANDS", "cli", "main"]
