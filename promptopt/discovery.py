"""Which files are prompts: the files `audit`, the hooks, `cost` and `diff` look at, and why.

For each file, the first rule that applies decides:
1. the config's `exclude`/`extend-exclude` (and the default excludes: .git, .venv, node_modules...),
   and, in a directory walk, what git ignores (.gitignore, .git/info/exclude: `git ls-files`);
2. `include`/`extend-include` globs: a file they match is audited, whatever it is;
   with `include` set, nothing else is (as in ruff, `include` replaces the default);
3. the default: a file of a prompt format (`loaders.PROMPT_SUFFIXES`) unless `known_files` knows it is not
   a prompt (READMEs, changelogs, licences, docs sites, CI, manifests, lockfiles, tests/...), and,
   for a general-purpose format (YAML, JSON), only when its content says prompt (`CONTENT_CHECKS`).
A file named on the command line is audited as named, as in ruff, unless `--force-exclude` (the
hooks pass it) puts it through the same rules. Nothing here imports litellm, spaCy or torch.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import DEFAULT_EXCLUDE, Config, _glob_match, _relative
from .known_files import known_prompt, not_a_prompt
from .loaders import PROMPT_SUFFIXES, format_of
from .shapes import Verdict, json_verdict, text_verdict, yaml_verdict

# Formats whose files are prompts by default (minus the known non-prompts).
PROMPT_FORMATS = {"text", "markdown", "jinja", "prompty", "chatml"}
# General-purpose formats are prompts only when their content says so: suffix -> check(text) -> (is a
# prompt, why), or None when the text cannot be parsed (the file is audited, so the error is reported).
# A loader of another general-purpose format (.py, .csv) may register a check here; without one, the
# file is a prompt when its loader finds a prompt in it (`_found_by_loader`).
CONTENT_CHECKS: dict[str, Callable[[str], Verdict | None]] = {
    ".yaml": yaml_verdict,
    ".yml": yaml_verdict,
    ".json": json_verdict,
    ".txt": text_verdict,
}

_FORMAT_NAMES = {"text": "a text prompt", "markdown": "a Markdown prompt", "jinja": "a Jinja template",
                 "prompty": "a prompty file", "chatml": "a ChatML transcript"}


@dataclass(frozen=True)
class Decision:
    path: Path
    audit: bool
    reason: str
    error: str | None = None  # a broken entry (missing, a broken link): audited, so it is reported


def discover(paths: Iterable[Path], config: Config) -> list[Path | tuple[Path, str]]:
    """Files to audit under the paths, sorted per argument; a broken entry comes back as (path, reason)."""
    return [(d.path, d.error) if d.error else d.path for d in decide(paths, config) if d.audit]


def decide(paths: Iterable[Path], config: Config, skipped: bool = False) -> list[Decision]:
    """A decision for every file found; the skipped ones only when asked (`--show-files --verbose`)."""
    out: list[Decision] = []
    for root in paths:
        if root.is_symlink() and not root.exists():
            out.append(Decision(root, True, "named on the command line", _broken_link_reason(root)))
        elif root.is_dir():
            out.extend(d for d in _walk(root, config) if d.audit or skipped)
        elif root.exists() or root.is_symlink():
            if not config.force_exclude:
                out.append(Decision(root, True, "named on the command line"))
            else:
                decision = classify(root, _folders_named(root, config), config)
                if decision.audit or skipped:
                    out.append(decision)
        else:
            out.append(Decision(root, True, "named on the command line", "no such file or directory"))
    return out


def classify(path: Path, folders: tuple[str, ...], config: Config, source: str | None = None) -> Decision:
    """Audit this file or not, and why. `folders`: the folders between the audited root and the file;
    `source`: its text when already at hand (a file at a git ref), else it is read when needed."""
    decided = classify_by_path(path, folders, config)
    if decided is not None:
        return decided
    if source is None:
        source = _read(path, config.max_file_size)
        if source is None:
            return Decision(path, True, "could not be read: audited so that the error is reported")
    check = CONTENT_CHECKS.get(path.suffix.lower())
    found = check(source) if check else _found_by_loader(path, source)
    if found is None:
        return Decision(path, True, "could not be parsed: audited so that the error is reported")
    is_prompt, why = found
    return Decision(path, is_prompt, why if is_prompt else f"not a prompt: {why}")


def classify_by_path(path: Path, folders: tuple[str, ...], config: Config) -> Decision | None:
    """The decision when the path alone makes it; None when the content must (CONTENT_CHECKS)."""
    excluded = excluded_by(path, config)
    if excluded:
        return Decision(path, False, excluded)
    pattern = included_by(path, config)
    if pattern:
        return Decision(path, True, f"matches include {pattern!r}")
    if config.include is not None:
        return Decision(path, False, "matches no `include` pattern")
    suffix = path.suffix.lower()
    if suffix not in PROMPT_SUFFIXES:
        return Decision(path, False, f"not a prompt format ({suffix or 'no suffix'})")
    known = not_a_prompt(path.name, folders)
    if known:
        return Decision(path, False, f"not a prompt: {known}")
    prompt_by_name = known_prompt(path.name)
    if prompt_by_name:
        return Decision(path, True, prompt_by_name)
    fmt = format_of(path) or ""
    if suffix in CONTENT_CHECKS or fmt not in PROMPT_FORMATS:
        return None
    return Decision(path, True, _FORMAT_NAMES[fmt])


def _found_by_loader(path: Path, source: str) -> Verdict | None:
    """The check of a format with no CONTENT_CHECKS entry: does its loader find a prompt?"""
    from .core import LoadError
    from .loaders import load_source

    try:
        if path.suffix.lower() == ".py":
            from .loaders.python_module import count_prompts

            found = count_prompts(path, source)  # no segmentation: only whether there is a prompt
        else:
            found = len(load_source(path, source))
    except LoadError:
        return None
    if not found:
        return False, f"its {format_of(path)} loader finds no prompt in it"
    return True, f"its {format_of(path)} loader finds {found} prompt(s) in it"


def excluded_by(path: Path, config: Config) -> str | None:
    rel = _relative(path, config.root)
    parts = set(rel.split("/"))  # _relative gives a posix path
    for name in DEFAULT_EXCLUDE:
        if name in parts:
            return f"excluded by default ({name})"
    for pattern in config.exclude:
        if _glob_match(rel, pattern):
            return f"matches exclude {pattern!r}"
    return None


def included_by(path: Path, config: Config) -> str | None:
    patterns = [*(config.include or []), *config.extend_include]
    if not patterns:
        return None
    rel = _relative(path, config.root)
    return next((p for p in patterns if _glob_match(rel, p)), None)


def _walk(root: Path, config: Config) -> list[Decision]:
    tracked = git_visible_files(root)
    out: list[Decision] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        below = here.relative_to(root).parts
        kept = []
        for name in sorted(dirs):
            sub = here / name
            reason = excluded_by(sub, config)
            if reason is None and tracked is not None and "/".join((*below, name)) not in tracked.folders:
                reason = "ignored by git (or holds no file git sees)"
            if reason:
                out.append(Decision(sub, False, reason))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            if tracked is not None and "/".join((*below, name)) not in tracked.files:
                decision = Decision(path, False, "ignored by git")  # .gitignore, .git/info/exclude
            elif path.is_symlink() and not path.exists():
                decision = Decision(path, True, "a broken link", _broken_link_reason(path))
                if excluded_by(path, config) or path.suffix.lower() not in PROMPT_SUFFIXES:
                    continue
            else:
                decision = classify(path, below, config)
            # other formats (.py, .toml...) are skipped without a word: listing them would drown the rest
            if decision.audit or path.suffix.lower() in PROMPT_SUFFIXES:
                out.append(decision)
    return out


@dataclass
class _GitView:
    files: set[str]
    folders: set[str]


def git_visible_files(root: Path) -> _GitView | None:
    """Files under root that git tracks or would track (not ignored), relative to root; None outside
    a git work tree (or without git): then nothing is ignored, as with git itself."""
    if not any((p / ".git").exists() for p in (root.resolve(), *root.resolve().parents)):
        return None
    import subprocess  # only for a directory walk: the hook names files and never gets here
    try:
        done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              cwd=root, capture_output=True)
    except OSError:
        return None
    if done.returncode != 0:
        return None
    files = {p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p}
    if not files:  # a folder git ignores as a whole, named on the command line: the user wants it
        return None
    folders = {"/".join(Path(f).parts[:i]) for f in files for i in range(1, len(Path(f).parts))}
    return _GitView(files, folders)


def _folders_named(path: Path, config: Config) -> tuple[str, ...]:
    """Folders of a file named on the command line, from the config's root (or the working folder)."""
    rel = Path(_relative(path, config.root))
    if rel.is_absolute():
        try:
            rel = path.absolute().relative_to(Path.cwd())
        except ValueError:
            return ()
    return tuple(p for p in rel.parent.parts if p not in ("", "."))


def _read(path: Path, max_bytes: int) -> str | None:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None  # a FIFO or a device would block the read: the audit reports it
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return None


def _broken_link_reason(path: Path) -> str:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return "symbolic link loop"
    except OSError as exc:
        return "symbolic link loop" if "loop" in str(exc).lower() else "broken symbolic link"
    return "broken symbolic link"
