"""The command-line group at lhotse's ``lhotse.bin.lhotse`` path (see :mod:`nuptse.cli`).

>>> from click.testing import CliRunner
>>> from nuptse.bin.lhotse import cli
>>> CliRunner().invoke(cli, ["--help"]).exit_code
0
"""

from nuptse.cli import cli

__all__ = ["cli"]
