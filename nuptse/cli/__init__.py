"""The ``nuptse`` command line.

Every subcommand mirrors a Python API function.  Subcommand modules import
only :mod:`click` at module level and pull in the library (numpy, torch,
audio backends) inside the command functions, so ``nuptse --help`` starts in
a fraction of a second.  Errors end the program with exit status 1 and one
readable line; ``nuptse --verbose ...`` shows the full traceback instead.
"""

from __future__ import annotations

import logging
import sys

import click

from nuptse import __version__


class _Root(click.Group):
    """A click group that turns any exception into one line and exit status 1."""

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


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nuptse")
@click.option("-v", "--verbose", is_flag=True, help="Log details and show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool):
    """nuptse: speech data preparation (manifests, features, Shar)."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _register() -> None:
    from nuptse.cli import cut, demo, describe, feat, kaldi, misc, prepare, shar, validate

    cli.add_command(prepare.prepare)
    cli.add_command(kaldi.kaldi)
    cli.add_command(feat.feat)
    cli.add_command(cut.cut)
    cli.add_command(shar.shar)
    cli.add_command(validate.validate)
    cli.add_command(validate.fix)
    cli.add_command(describe.describe)
    cli.add_command(misc.copy_feats)
    cli.add_command(misc.list_storage_types)
    cli.add_command(misc.list_audio_backends)
    cli.add_command(demo.demo)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``nuptse = "nuptse.cli:main"``)."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="nuptse")


__all__ = ["cli", "main"]
