"""Files known not to be prompts, by name or by the folder they sit in, each with the reason.

Discovery consults this for files found in a directory walk (and for files pre-commit names, with
`--force-exclude`); a file matched by the config's `include`/`extend-include` is audited all the same.
Folder rules look only at folders below the directory being audited, so `promptopt audit docs/`
still audits `docs/`, while `promptopt audit .` skips it.
"""

from __future__ import annotations

import re

from .lazyre import lazy_compile

# folder name -> what it holds
FOLDERS = {
    "docs": "a documentation site",
    "doc": "a documentation site",
    "site": "a built documentation site",
    "_site": "a built documentation site",
    "website": "a documentation site",
    ".github": "GitHub configuration (workflows, issue templates)",
    ".gitlab": "GitLab configuration",
    ".circleci": "CI configuration",
    ".buildkite": "CI configuration",
    ".devcontainer": "editor configuration",
    ".vscode": "editor configuration",
    ".idea": "editor configuration",
    ".changeset": "release notes",
    "changelog.d": "release notes",
    "newsfragments": "release notes",
    "tests": "test data",
    "test": "test data",
    "testdata": "test data",
    "__tests__": "test data",
    "__snapshots__": "test data",
    "bench": "benchmark inputs",
    "benchmarks": "benchmark inputs",
    "LICENSES": "licence texts",
}

# file names (without the suffix) that are documentation or project metadata, in any case
_DOC_STEMS = {
    "readme": "a README is documentation",
    "changelog": "a changelog",
    "releasenotes": "release notes",
    "release_notes": "release notes",
    "license": "a licence",
    "licence": "a licence",
    "copying": "a licence",
    "contributing": "a contributing guide",
    "code_of_conduct": "a code of conduct",
    "codeowners": "a code owners list",
    "pull_request_template": "a pull-request template",
    "issue_template": "an issue template",
}
# the same, but only in capitals as the conventions spell them: `prompts/support.md` may be a prompt
_CAPITAL_STEMS = {
    "CHANGES": "a changelog",
    "HISTORY": "a changelog",
    "NEWS": "a changelog",
    "NOTICE": "a licence notice",
    "SECURITY": "a security policy",
    "SUPPORT": "a support policy",
    "AUTHORS": "a list of authors",
    "CONTRIBUTORS": "a list of contributors",
    "MAINTAINERS": "a list of maintainers",
    "GOVERNANCE": "a governance document",
    "ROADMAP": "a roadmap",
    "UPDATING": "upgrade notes",
    "UPGRADING": "upgrade notes",
    "MIGRATION": "upgrade notes",
}

# exact file names (lower case) of CI, action, tool and package definitions
_NAMES = {
    "action.yml": "a GitHub action definition",
    "action.yaml": "a GitHub action definition",
    ".gitlab-ci.yml": "a GitLab CI definition",
    ".travis.yml": "a CI definition",
    "azure-pipelines.yml": "a CI definition",
    "bitbucket-pipelines.yml": "a CI definition",
    "appveyor.yml": "a CI definition",
    "codecov.yml": "a CI definition",
    ".pre-commit-config.yaml": "a pre-commit configuration",
    ".pre-commit-hooks.yaml": "pre-commit hook definitions",
    "mkdocs.yml": "a documentation site configuration",
    "mkdocs.yaml": "a documentation site configuration",
    ".readthedocs.yml": "a documentation site configuration",
    ".readthedocs.yaml": "a documentation site configuration",
    "_config.yml": "a documentation site configuration",
    "docker-compose.yml": "a Docker Compose file",
    "docker-compose.yaml": "a Docker Compose file",
    "compose.yml": "a Docker Compose file",
    "compose.yaml": "a Docker Compose file",
    "package.json": "a package manifest",
    "composer.json": "a package manifest",
    "deno.json": "a package manifest",
    "tsconfig.json": "a compiler configuration",
    "jsconfig.json": "a compiler configuration",
    "environment.yml": "a conda environment",
    "environment.yaml": "a conda environment",
    "renovate.json": "a dependency-update configuration",
    "dependabot.yml": "a dependency-update configuration",
    "chart.yaml": "a Helm chart definition",
    "values.yaml": "Helm chart values",
    "pnpm-lock.yaml": "a lockfile",
    "pnpm-workspace.yaml": "a package manifest",
    "package-lock.json": "a lockfile",
    "composer.lock": "a lockfile",
    "cmakelists.txt": "a build definition",
    "robots.txt": "a web crawler policy",
    "py.typed": "a typing marker",
    ".markdownlint.json": "a linter configuration",
    ".eslintrc.json": "a linter configuration",
    ".prettierrc.json": "a formatter configuration",
    ".yamllint.yml": "a linter configuration",
    ".yamllint.yaml": "a linter configuration",
    "openapi.yaml": "an OpenAPI definition",
    "openapi.yml": "an OpenAPI definition",
    "openapi.json": "an OpenAPI definition",
    "swagger.yaml": "a Swagger definition",
    "swagger.json": "a Swagger definition",
}

_REQUIREMENTS = lazy_compile(r"^(?:.*[-_.])?(?:requirements|constraints)(?:[-_.].*)?\.(?:txt|in)$", re.I)
_LOCKFILE = lazy_compile(r"\.lock$|-lock\.(?:json|ya?ml)$|\.lock\.json$", re.I)
_SCHEMA = lazy_compile(r"\.schema\.json$|\.schema\.ya?ml$", re.I)
_JINJA = {".j2", ".jinja", ".jinja2"}
# `page.html.j2`, `nginx.conf.j2`: a template of another format, not a prompt (`x.md.j2` is one)
_TEMPLATED_FORMATS = {".html", ".htm", ".xml", ".conf", ".cfg", ".ini", ".toml", ".yaml", ".yml", ".json",
                      ".py", ".sh", ".sql", ".css", ".js", ".ts", ".service", ".tf", ".env", ".properties"}


# prompts by name wherever they sit, `.github/` included: GitHub Copilot's prompt and instruction files
_PROMPT_NAMES = lazy_compile(r"(?:\.prompt|\.instructions|\.chatmode|\.agent)\.md$|^copilot-instructions\.md$", re.I)


def known_prompt(name: str) -> str | None:
    """Why a file is a prompt by its name alone, or None."""
    if name == "skprompt.txt":
        return "a semantic-kernel prompt (skprompt.txt)"
    if _PROMPT_NAMES.search(name):
        return "a GitHub Copilot prompt or instructions file"
    return None


def not_a_prompt(name: str, folders: tuple[str, ...]) -> str | None:
    """Why a file is known not to be a prompt, or None. `folders` are the folders below the audited root."""
    for folder in folders:
        if folder in FOLDERS and not (folder == ".github" and known_prompt(name)):
            return f"under {folder}/: {FOLDERS[folder]}"
    lower = name.lower()
    if lower in _NAMES:
        return _NAMES[lower]
    stem = name.partition(".")[0]
    if stem.lower() in _DOC_STEMS:
        return _DOC_STEMS[stem.lower()]
    if stem in _CAPITAL_STEMS:
        return _CAPITAL_STEMS[stem]
    if _REQUIREMENTS.match(lower):
        return "a requirements file"
    if _LOCKFILE.search(lower):
        return "a lockfile"
    if _SCHEMA.search(lower):
        return "a JSON Schema"
    parts = lower.rsplit(".", 2)
    if len(parts) == 3 and "." + parts[2] in _JINJA and "." + parts[1] in _TEMPLATED_FORMATS:
        return f"a template of a .{parts[1]} file"
    return None
