"""The ``symkan`` command: thin layers over `symkan.pipeline`, one module per subcommand.

The result goes to stdout; progress and messages go to stderr. Bad input exits with
status 2 and a message that says what to fix, and leaves no half-written output behind.
Each subcommand module has ``add_parser(subparsers)``, which sets ``run`` as the
handler of its arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from symkan.cli import bench, compare, datasets, diagram, explain, export, fit
from symkan.errors import InputError, SymkanError

_COMMANDS = (fit, bench, datasets, compare, diagram, explain, export)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symkan",
        description="Symbolic regression with Kolmogorov-Arnold Networks: CSV in, formula out.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in _COMMANDS:
        command.add_parser(sub)
    return parser


def _set_threads() -> None:
    """One torch thread unless SYMKAN_THREADS says otherwise: symkan's tensors are small,
    and several threads on a busy machine slow them down by 10× or more (measured)."""
    import os

    import torch
    from threadpoolctl import threadpool_limits

    threads = int(os.environ.get("SYMKAN_THREADS", "1"))
    torch.set_num_threads(threads)
    threadpool_limits(threads)  # numpy/scipy BLAS too: same bits on every run


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _set_threads()
    try:
        return args.run(args)
    except InputError as err:
        print(f"symkan: error: {err}", file=sys.stderr)
        return 2
    except SymkanError as err:
        print(f"symkan: error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`symkan ... | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("symkan: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
