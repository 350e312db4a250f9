"""Atomic writes: a temp file in the same folder, fsync, rename over the original.
A crash or Ctrl-C at any point leaves either the old file or the new one, never half of one.

What `--fix` owes the file it rewrites besides its text:
- a symlinked prompt: the target is rewritten and the link stays a link (`--fix` follows it);
- mode and, where the process may set it, owner and group are kept;
- a hard-linked file (several names, one file) is rewritten in place, so every name sees the fix; the
  new text is first written and synced to a temp file, so a full disk fails before the file is touched;
- a read-only file is not rewritten: `ReadOnlyFile` is raised and the caller reports it;
- only a regular file (or a new path) is written: `NotARegularFile` for a device, a FIFO or a folder.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


class ReadOnlyFile(PermissionError):
    """The file's mode forbids writing: promptopt skips it rather than replace it behind its back."""


class NotARegularFile(OSError):
    """A device, a FIFO, a socket or a folder: a report or a fix is written only to a regular file
    (or a new path); `-o /dev/full` as root must not replace the device node."""


def write_atomic(path: Path, text: str) -> None:
    path = Path(os.path.realpath(path))  # a symlink: edit its target, keep the link
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):  # a device, a FIFO, a folder: renaming over
        raise NotARegularFile(errno.EINVAL, "not a regular file", str(path))  # it would replace the node
    # by its mode (root may write anything, but a 0444 prompt says "do not edit"), or by access rights
    if info is not None and (not info.st_mode & 0o222 or not os.access(path, os.W_OK)):
        raise ReadOnlyFile("the file is read-only")
    tmp = _write_temp(path, text)
    try:
        if info is not None and info.st_nlink > 1:
            _copy_into(tmp, path)  # keep the hard links: same inode, new bytes
            os.unlink(tmp)
            return
        if info is not None:
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
            try:
                os.chown(tmp, info.st_uid, info.st_gid)
            except OSError:
                pass  # not ours to give away (not root): the new file is the writer's, as with any editor
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def write_report(path: Path, text: str) -> None:
    """A report (`-o FILE`): written whole or not at all; a missing folder is an error, not created."""
    write_atomic(path, text)


def _encoding_of(path: Path) -> tuple[bytes, str]:
    """A UTF-16/32 file (with its byte order mark) is written back as it was; anything else as UTF-8."""
    from .loaders import bom_encoding

    try:
        with open(path, "rb") as fh:
            marked = bom_encoding(fh.read(4))
    except OSError:
        marked = None
    return marked or (b"", "utf-8")


def _write_temp(path: Path, text: str) -> str:
    bom, codec = _encoding_of(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(bom + text.encode(codec))
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _copy_into(source: str, target: Path) -> None:
    with open(source, "rb") as src, open(target, "r+b") as dst:
        data = src.read()
        dst.seek(0)
        dst.write(data)
        dst.truncate()
        dst.flush()
        os.fsync(dst.fileno())


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
