"""The one place that writes a run folder: all of its files, or none.

`write_run` writes into a temporary folder next to the target and swaps it in; files
the user added to an existing run folder are kept. `write_files` writes single files
(diagrams, exports) with the same refusal to overwrite.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath, PureWindowsPath

__all__ = ["MANIFEST", "is_run_folder", "write_files", "write_run"]

MANIFEST = ".symkan-files.json"  # in a run folder: the files symkan wrote there
# What `symkan fit` wrote before run folders had a MANIFEST: replaced, not kept.
_FIT_FILES = frozenset({
    "result.json", "report.md", "report.html", "formula.tex", "diagram.dot", "diagram.svg",
    "model.json", "model.safetensors", "plots/predicted_vs_true.svg", "plots/residuals.svg",
    "plots/training_curve.svg",
})


def write_run(
    out_dir: str | os.PathLike[str],
    files: Mapping[str, str | bytes],
    *,
    overwrite: bool = True,
) -> pathlib.Path:
    """Write a run folder atomically: all of ``files`` or, on any error, nothing.

    The files are written into a temporary folder next to ``out_dir`` (same parent,
    prefix ``.symkan-``), which then takes the place of ``out_dir``. The names written
    are listed in ``.symkan-files.json`` in the folder. When ``out_dir`` exists, the
    files that symkan wrote there (those the list names; in a run folder from before
    the list, the files ``symkan fit`` writes) are replaced, and every other file (notes
    the user added, a folder's own files) is kept: linked, or copied, into the new
    folder before it takes the old one's place. If anything fails, the temporary folder
    is removed and an existing ``out_dir`` is left as it was.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The run folder. Missing parent folders are created.
    files : Mapping[str, str | bytes]
        File name → content. Names are relative POSIX paths (``"report.md"``,
        ``"plots/loss.svg"``) without ``..``; ``str`` content is written as UTF-8
        exactly as given, ``bytes`` as is.
    overwrite : bool
        Replace an existing ``out_dir``; with False an existing one is an error.

    Returns
    -------
    pathlib.Path
        The absolute path of the run folder.

    Raises
    ------
    ValueError
        A file name is not a plain relative path, or ``out_dir`` is the current
        folder, one of its parents, the home folder or a file-system root.
    TypeError
        A content is neither ``str`` nor ``bytes``.
    FileExistsError
        ``out_dir`` exists and ``overwrite`` is False, or it is a file or a symbolic link,
        or it holds a file that symkan did not write where one of ``files`` goes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = write_run(pathlib.Path(tmp) / "run", {"report.md": "# hi\\n"})
    ...     sorted(p.name for p in run.iterdir())
    ['.symkan-files.json', 'report.md']
    """
    out = pathlib.Path(os.path.abspath(os.fspath(out_dir)))
    payload = {_check_name(name): _as_bytes(name, content) for name, content in files.items()}
    _check_layout(payload)
    _check_target(out, overwrite)
    kept = _kept_files(out, payload) if out.exists() else []
    payload[PurePosixPath(MANIFEST)] = (
        json.dumps(sorted(str(rel) for rel in payload), indent=0) + "\n").encode("utf-8")

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".symkan-", dir=out.parent))
    try:
        # Write into a subfolder made with os.mkdir so the final folder gets the usual
        # umask permissions, not mkdtemp's 0o700.
        new = staging / "run"
        new.mkdir()
        for rel, data in payload.items():
            path = new.joinpath(*rel.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_file(path, data)
        for rel in kept:
            _carry(out.joinpath(*rel.parts), new.joinpath(*rel.parts))
        if out.exists():
            old = staging / "old"
            os.replace(out, old)
            try:
                os.replace(new, out)
            except BaseException:
                os.replace(old, out)  # put the previous run back
                raise
        else:
            os.replace(new, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the partial new run, or the old one
    return out


def write_files(
    out_dir: str | os.PathLike[str], files: Mapping[str, str | bytes]
) -> pathlib.Path:
    """Write ``files`` into the folder ``out_dir``, each atomically; other files stay.

    For adding to a folder (a saved model, one diagram) rather than writing a whole run
    (`write_run`). Each file is written to a temporary name next to it, then renamed,
    so a reader never sees half a file. Missing folders are created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_files(tmp, {"a.txt": "1"})
    ...     _ = write_files(tmp, {"b.txt": b"2"})
    ...     sorted(p.name for p in pathlib.Path(tmp).iterdir())
    ['a.txt', 'b.txt']
    """
    out = pathlib.Path(os.path.abspath(os.fspath(out_dir)))
    payload = {_check_name(name): _as_bytes(name, content) for name, content in files.items()}
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{str(out)!r} is a file, not a folder; choose a folder")
    for rel, data in payload.items():
        path = out.joinpath(*rel.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".symkan-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return out


def is_run_folder(folder: pathlib.Path) -> bool:
    """Whether ``folder`` was written by `write_run` (or is an older ``symkan fit`` run)."""
    return (folder / MANIFEST).is_file() or (folder / "result.json").is_file()


def _ours(out: pathlib.Path, payload: Mapping[PurePosixPath, bytes]) -> set[PurePosixPath]:
    """The files in ``out`` that symkan wrote: the MANIFEST's list, or an old run's files."""
    ours = {PurePosixPath(MANIFEST)}
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return ours | {PurePosixPath(n) for n in listed if isinstance(n, str)}
    except (OSError, ValueError, TypeError):
        pass
    if (out / "result.json").is_file():
        ours |= {PurePosixPath(n) for n in _FIT_FILES} | set(payload)
    return ours


def _kept_files(out: pathlib.Path, payload: Mapping[PurePosixPath, bytes]) -> list[PurePosixPath]:
    """The user's entries in ``out`` (files, links, empty folders) that the new run keeps."""
    ours = _ours(out, payload)
    dirs = {parent for rel in payload for parent in rel.parents}
    kept, clash = [], []
    for root, subdirs, names in os.walk(out):
        base = PurePosixPath(pathlib.Path(root).relative_to(out).as_posix())
        links = [d for d in subdirs if os.path.islink(os.path.join(root, d))]
        empty = [d for d in subdirs if d not in links and not os.listdir(os.path.join(root, d))]
        for name in [*names, *links, *empty]:
            rel = base / name
            if rel in ours:
                continue
            if name in empty and rel in dirs:
                continue  # the new run has this folder
            if rel in payload or rel in dirs or any(p in payload for p in rel.parents):
                clash.append(str(rel))  # the user's file where the run writes (or v.v.)
            else:
                kept.append(rel)
    if clash:
        raise FileExistsError(
            f"{str(out)!r} holds {_names(clash)}, which symkan did not write, where the new "
            "run writes its files; move them, or choose another folder"
        )
    return kept


def _names(items: Sequence[str], shown: int = 3) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(repr(i) for i in items[:shown]) + more


def _carry(src: pathlib.Path, dst: pathlib.Path) -> None:
    """``src`` also at ``dst``: a hard link (a copy across file systems); links as links."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        dst.mkdir()
    else:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _write_file(path: pathlib.Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)


def _check_name(name: object) -> PurePosixPath:
    if not isinstance(name, str) or not name:
        raise ValueError(f"file name {name!r} must be a non-empty string such as 'report.md'")
    rel = PurePosixPath(name)
    bad = (
        "\\" in name
        or "\0" in name
        or rel.is_absolute()
        or PureWindowsPath(name).drive != ""
        or any(part in ("..", ".") for part in name.split("/"))
        or name.endswith("/")
        or "//" in name
    )
    if bad:
        raise ValueError(
            f"file name {name!r} is not a plain relative path; use names like 'report.md' "
            "or 'plots/loss.svg' (no '..', '.', backslashes or leading '/')"
        )
    return rel


def _as_bytes(name: str, content: object) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    raise TypeError(
        f"content of {name!r} is a {type(content).__name__}; write_run takes str or bytes "
        "(render or serialise it first)"
    )


def _check_layout(payload: Mapping[PurePosixPath, bytes]) -> None:
    dirs = {parent for rel in payload for parent in rel.parents if parent != PurePosixPath(".")}
    clash = sorted(str(rel) for rel in payload if rel in dirs)
    if clash:
        raise ValueError(f"{clash[0]!r} is both a file and a folder in files; rename one of them")


def _check_target(out: pathlib.Path, overwrite: bool) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise FileExistsError(
            f"out_dir {str(out)!r} exists and is not a folder "
            "(a file or a symbolic link); remove it or choose another out_dir"
        )
    if not out.exists():
        return
    if not overwrite:
        raise FileExistsError(
            f"out_dir {str(out)!r} already exists; choose another out_dir or pass overwrite=True"
        )
    cwd = pathlib.Path.cwd().resolve()
    real = out.resolve()
    protected = {cwd, *cwd.parents, pathlib.Path.home().resolve(), pathlib.Path(real.anchor)}
    if real in protected:
        raise ValueError(
            f"out_dir {str(out)!r} would replace the current folder, one of its parents, "
            "the home folder or a root; overwrite deletes the old folder, so choose a "
            "dedicated run folder such as 'runs/my-run'"
        )
