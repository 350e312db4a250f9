"""Files that changed between two git refs, and their text at each side, read with the real git.

The head side may be the working tree (``head=None``): tracked changes plus untracked files that are
not ignored, as a pull request would carry them once committed.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


class GitError(RuntimeError):
    """git failed or the folder is not a repository; the message carries git's own words."""


@dataclass(frozen=True)
class ChangedFile:
    status: str  # A added, M modified, D deleted, R renamed (C copies are read as added)
    old_path: str | None  # at base; None when added
    new_path: str | None  # at head; None when deleted

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def git(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed"
        raise GitError(message)
    return done


def repo_root(start: Path | None = None) -> Path:
    done = git(["rev-parse", "--show-toplevel"], start or Path.cwd())
    return Path(done.stdout.decode().strip())


def resolve_ref(ref: str, root: Path) -> str:
    """The commit a ref names (raises GitError for a ref that does not exist)."""
    done = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root, check=False)
    if done.returncode != 0:
        raise GitError(f"unknown git ref {ref!r}")
    return done.stdout.decode().strip()


def changed_files(base: str, head: str | None, root: Path) -> list[ChangedFile]:
    """Files added, modified, deleted or renamed from base to head (head None: the working tree)."""
    resolve_ref(base, root)
    refs = [base] if head is None else [base, head]
    if head is not None:
        resolve_ref(head, root)
    out = git(["diff", "--name-status", "-z", "-M", "--no-ext-diff", *refs, "--"], root).stdout
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    changes: list[ChangedFile] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            changes.append(ChangedFile("R", old, new) if status == "R" else ChangedFile("A", None, new))
            i += 3
            continue
        path = fields[i + 1]
        if status == "A":
            changes.append(ChangedFile("A", None, path))
        elif status == "D":
            changes.append(ChangedFile("D", path, None))
        else:  # M, T (type change)
            changes.append(ChangedFile("M", path, path))
        i += 2
    if head is None:
        untracked = git(["ls-files", "--others", "--exclude-standard", "-z"], root).stdout
        for path in untracked.decode("utf-8", "surrogateescape").split("\0"):
            if path:
                changes.append(ChangedFile("A", None, path))
    return sorted(changes, key=lambda c: c.path)


def read_at(ref: str | None, path: str, root: Path) -> str | None:
    """The file's text at a ref (None: the working tree); None when it does not exist there."""
    if ref is None:
        file = root / path
        return file.read_text(encoding="utf-8") if file.is_file() else None
    done = git(["show", f"{ref}:{path}"], root, check=False)
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")
