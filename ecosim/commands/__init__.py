"""Subcommands of the ``ecosim`` command line, one module each, and what they share:
exit statuses, the ``--set`` option, checked numeric options and the ``--out`` check."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

from ecosim.config import ConfigError, EcosimConfig
from ecosim.outdir import output_dir_problem

__all__ = [
    "EXIT_STATUS_HELP",
    "MAX_STEPS",
    "ExitCode",
    "OutputDirError",
    "add_set_option",
    "check_out_dir",
    "int_option",
]


class ExitCode(IntEnum):
    """Exit status of every ``ecosim`` command (the table in README.md's Use section)."""

    #: Everything the command was asked to do is done.
    OK = 0
    #: The command ran but did not finish its work: some sweep runs or calibration trials
    #: failed or are missing, the Dask cluster was lost mid-sweep, the server stopped on an
    #: error, a validation case failed (``ecosim validate``). Python also exits with 1,
    #: after a traceback, on an unexpected internal error.
    FAILED = 1
    #: Bad input, refused before any work and with nothing written: a bad option value,
    #: config, sweep or calibration file or folder, an unusable ``--out``, a port or host
    #: that cannot be used, a Dask scheduler that cannot be reached.
    BAD_INPUT = 2
    #: Interrupted with Ctrl-C (what finished is kept; a sweep or calibration resumes when
    #: run again).
    INTERRUPTED = 130


EXIT_STATUS_HELP = """\
exit status (every command):
  0    done
  1    ran but did not finish: some sweep runs or calibration trials failed or
       are missing, the Dask cluster was lost mid-sweep, the server stopped on
       an error, a validation case failed (or an internal error, with a
       traceback)
  2    bad input, nothing done and nothing written: a bad option, config, sweep
       or calibration file or folder, an unusable --out, a port in use or a
       host that cannot be resolved, a Dask scheduler that cannot be reached
  130  interrupted (Ctrl-C); a sweep or calibration resumes when run again
"""


class OutputDirError(ConfigError):
    """An output folder that cannot be used (a file in the way, not writable)."""


def add_set_option(parser: argparse.ArgumentParser, example: str = "consumers.n=5000") -> None:
    """``--set KEY=VALUE`` (repeatable): override a config parameter by its dotted key."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a parameter by dotted key (repeatable), e.g. {example}",
    )


def int_option(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers in ``[low, high]`` (``None``: unbounded).

    A value out of range ends at argument parsing with a message naming the option and the
    range (argparse's exit status 2), before any file is read.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            if high is None:
                allowed = f"at least {low}"
            elif low is None:
                allowed = f"at most {high}"
            else:
                allowed = f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its own messages
    return parse


def check_out_dir(path: str | Path, option: str = "--out") -> Path:
    """Refuse an output folder that cannot be used, before any work is done.

    Args:
        path: the folder given on the command line.
        option: the option's name, for the message.

    Returns:
        ``path`` as a Path.

    Raises:
        OutputDirError: naming the option, the path and the problem (exit status 2).
    """
    problem = output_dir_problem(path)
    if problem:
        raise OutputDirError(f"{option} {path}: {problem}")
    return Path(path)


def _schema_max_steps() -> int:
    """The schema's cap on ``steps`` (days), so ``--steps`` and ``--days`` follow it."""
    for bound in EcosimConfig.model_fields["steps"].metadata:
        if getattr(bound, "le", None) is not None:
            return int(bound.le)
    return 100_000


#: Most days one run may simulate (the config schema's bound on ``steps``).
MAX_STEPS = _schema_max_steps()
