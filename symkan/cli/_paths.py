"""Where the commands write: checked before any work, so a refusal costs nothing.

A command never overwrites a file, or writes into a folder, that symkan did not make
unless ``--force`` says so; even then a run keeps the files already there (see
`symkan.outputs.runfolder.write_run`). Each check raises `InputError` (exit status 2) with the fix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from symkan.errors import InputError
from symkan.outputs.runfolder import is_run_folder


def check_new_file(path: Path, force: bool, flag: str = "--out") -> None:
    """``path`` can take a new file: it is not there (or ``force``), and its folder is writable."""
    if path.is_dir():
        raise InputError(f"{flag} {str(path)!r} is a folder; give a file name")
    if path.is_symlink() or path.exists():
        if not force:
            raise InputError(f"{flag} {str(path)!r} exists; pass --force to overwrite it, or "
                             f"choose another {flag}")
    check_writable(path.parent, flag)


def check_run_folder(out: Path, force: bool, flag: str = "--out") -> None:
    """``out`` can take a run folder: new, empty, a run folder, or (``force``) any folder."""
    shown = f"{flag} {str(out)!r}"
    if out.is_symlink():
        raise InputError(f"{shown} is a symbolic link; give the folder it points to "
                         f"({os.path.realpath(out)!r}) or another {flag}")
    if out.exists() and not out.is_dir():
        raise InputError(f"{shown} is a file; choose a folder")
    real = out.resolve()
    cwd = Path.cwd().resolve()
    if real in {cwd, *cwd.parents, Path.home().resolve(), Path(real.anchor)}:
        raise InputError(
            f"{shown} is the current folder, one of its parents, the home folder or a root; "
            f"choose a folder for this run, e.g. {flag} runs/my-run"
        )
    if out.is_dir() and any(out.iterdir()) and not is_run_folder(out) and not force:
        raise InputError(
            f"{shown} exists and is not a symkan run folder (no result.json); choose another "
            f"{flag}, or pass --force to write the run into it (its files are kept)"
        )
    check_writable(out, flag)


def check_writable(folder: Path, flag: str = "--out") -> None:
    """A file can be made in ``folder``, or in the nearest folder above it that exists."""
    here = Path(os.path.abspath(folder))
    while not here.exists() and not here.is_symlink():
        here = here.parent
    if not here.is_dir():
        raise InputError(f"{flag} {str(folder)!r} is under {str(here)!r}, which is a file, "
                         f"not a folder; choose another {flag}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".symkan-probe-", dir=here)
    except OSError as err:
        raise InputError(f"{flag} {str(folder)!r} cannot be written ({str(here)!r}: "
                         f"{err.strerror or err}); choose another {flag}") from None
    os.close(fd)
    os.unlink(probe)
