"""Links from the pull-request comment to a line of a prompt at the head commit, where the CI says where
the repository lives: GitHub Actions (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA) and GitLab CI
(CI_PROJECT_URL, CI_COMMIT_SHA). Elsewhere there is no link, only the path and line.

`?plain=1` makes both forges show a Markdown file as source, so `#L12` lands on the line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import quote

LineLink = Callable[[str, int], "str | None"]


def _no_link(path: str, line: int) -> None:
    return None


def source_links(env: Mapping[str, str], head_commit: str | None = None) -> LineLink:
    """A function (path, line) -> URL for the head commit: `head_commit` (the commit `--head` names), else
    the commit the CI checked out."""
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY"):
        base = f"{env['GITHUB_SERVER_URL'].rstrip('/')}/{env['GITHUB_REPOSITORY']}/blob"
        commit = head_commit or env.get("GITHUB_SHA")
    elif env.get("CI_PROJECT_URL"):
        base = f"{env['CI_PROJECT_URL'].rstrip('/')}/-/blob"
        commit = head_commit or env.get("CI_COMMIT_SHA")
    else:
        return _no_link
    if not commit:
        return _no_link

    def link(path: str, line: int) -> str:
        return f"{base}/{commit}/{quote(path)}?plain=1#L{line}"

    return link
