"""Which files are prompts: `audit .` on whole repositories (this one, and one shaped as teams shape
theirs), `--show-files [--verbose]`, `include`/`extend-include`, .gitignore, and YAML/JSON by shape."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.loaders import LOADERS
from promptopt.shapes import json_verdict, yaml_verdict

PROJECT = Path(__file__).resolve().parent.parent
IDENTITY = ["-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "commit.gpgsign=false"]
BLOATED = (  # filler and wordy phrases worth 10 tokens or more per rule
    "Please note that it is important to note that you should answer in English.\n"
    "In order to help the user, due to the fact that answers are read on phones, keep them short.\n"
    "Please note that, in order to be clear, it is important to note that you cite the order number.\n"
    "Due to the fact that refunds take time, in order to avoid confusion, you state the date.\n"
)


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def run(folder: Path, monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def show_files(folder: Path, monkeypatch, *args: str) -> list[str]:
    code, out = run(folder, monkeypatch, "audit", "--show-files", *args)
    assert code == 0, out
    return out.splitlines()


# --- this repository, as a fresh clone ---------------------------------------------------------------

FIXTURE_PROMPTS = [
    "fixtures/evals/echo_labels/suite.yaml",  # a promptfoo config whose prompt is inline
    "fixtures/evals/fewshot_sentiment/prompt.txt",
    "fixtures/evals/short_answers/prompt.txt",
    "fixtures/evals/snips/intent_bare.txt",
    "fixtures/evals/snips/intent_fewshot.txt",
    "fixtures/evals/snips/intent_fewshot_copy.txt",
    "fixtures/prompts/lingua_prose.md",
    "fixtures/prompts/refund_policy_messages.json",
    "fixtures/prompts/research_agent.yaml",
    "fixtures/prompts/summarize_call.prompty",
    "fixtures/prompts/support_bot.md",
    "fixtures/prompts/ticket_classifier.j2",
]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """This project's files as a clone has them: what git lists, committed into a fresh repository."""
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    folder = tmp_path_factory.mktemp("clone")
    for name in filter(None, git(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")):
        source = PROJECT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "clone")
    return folder


def test_audit_dot_in_this_repository_takes_the_fixture_prompts_only(clone, monkeypatch):
    listed = show_files(clone, monkeypatch)
    # Python modules become prompt candidates once a loader reads them; their choice is tested there
    assert [p for p in listed if not p.endswith((".py", ".csv"))] == FIXTURE_PROMPTS
    for path in listed:
        assert not path.startswith(("docs/", "tests/", "rules/", "examples/")), path
    assert not {"README.md", "action.yml", ".pre-commit-hooks.yaml"} & set(listed)


def test_verbose_says_why_each_file_is_skipped(clone, monkeypatch):
    lines = show_files(clone, monkeypatch, "--verbose")
    by_path = {line.split()[1].rstrip(":"): line for line in lines}
    assert by_path["README.md"].startswith("skip ") and "README" in by_path["README.md"]
    assert "GitHub action" in by_path["action.yml"]
    assert "pre-commit hook" in by_path[".pre-commit-hooks.yaml"]
    assert "GitHub Actions workflow" in by_path["examples/github/promptopt.yml"]
    assert "rule definition" in by_path["rules/PO401-filler.yaml"]
    assert "under docs/" in by_path["docs/ci.md"] and "under tests/" in by_path["tests/rules/PO101.yaml"]
    assert "no value is shaped like a prompt" in by_path["fixtures/evals/snips/intents.json"]
    assert by_path["fixtures/prompts/research_agent.yaml"].startswith("audit ")
    assert "system_template" in by_path["fixtures/prompts/research_agent.yaml"]


# --- a repository in the shape teams use ---------------------------------------------------------------

TEAM_REPO = {
    "README.md": "# Support bot\n\n" + BLOATED,
    "CHANGELOG.md": "## 1.2.0\n\n- Please note that the bot now answers in French too.\n",
    "CONTRIBUTING.md": "Please make sure to run the tests before you open a pull request.\n",
    "LICENSE": "Apache License 2.0\n",
    "pyproject.toml": '[project]\nname = "support-bot"\nversion = "1.2.0"\n',
    "requirements.txt": "litellm>=1.50\npyyaml>=6\n",
    "package.json": '{"name": "support-ui", "version": "1.0.0", "scripts": {"build": "vite build"}}\n',
    "mkdocs.yml": "site_name: Support bot\nnav:\n  - index.md\n",
    "docs/index.md": "# Writing prompts\n\n" + BLOATED,
    "docs/guide/prompt-style.md": "Please note that every prompt should say who it is for.\n",
    ".github/workflows/ci.yml": (
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          pip install -e .\n          pytest -q --maxfail=1 and then some more words\n"
    ),
    ".github/ISSUE_TEMPLATE/bug.md": "Please describe the bug and what you expected instead.\n",
    ".github/prompts/review.prompt.md": "Review the staged diff for missing tests and unclear names.\n",
    ".gitignore": "scratch/\n*.log\n",
    "scratch/draft.md": BLOATED,
    "api/openapi.yaml": "openapi: 3.0.0\ninfo:\n  title: Support API\n  description: The prompt service's API.\n",
    "schemas/reply.json": json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                      "properties": {"answer": {"description": "The system prompt's reply"}}}),
    "prompts/support.md": "You answer questions about Acme garden tools.\nAnswer in the customer's language.\n",
    "prompts/triage.j2": "Classify the ticket as billing, delivery or other.\n\nTicket: {{ ticket }}\n",
    "prompts/summarize.txt": "Summarize the call in three bullet points.\n\nCall: {transcript}\n",
    "crew/config/agents.yaml": (
        "researcher:\n  role: >\n    {topic} Senior Data Researcher\n  goal: >\n"
        "    Uncover cutting-edge developments in {topic}\n  backstory: >\n"
        "    You're a seasoned researcher with a knack for uncovering the latest developments in {topic}.\n"
    ),
    "crew/config/tasks.yaml": (
        "research_task:\n  description: >\n    Conduct a thorough research about {topic}.\n"
        "  expected_output: >\n    A list with 10 bullet points of the most relevant information about {topic}.\n"
        "  agent: researcher\n"
    ),
    "config/agent.yaml": (
        "agent:\n  model: gpt-4o\n  temperature: 0.2\n"
        "  system_prompt: You route support tickets to the right team and never answer them yourself.\n"
    ),
    "config/settings.yaml": "timeout: 30\nretries: 3\nmodel: gpt-4o\nlog_level: info\n",
    "tests/fixtures/sample.md": BLOATED,
    "tests/fixtures/skprompt.txt": "Summarize {{$input}} in one sentence.\n",
    "src/support_bot/__init__.py": '"""Support bot."""\n',
    "src/support_bot/prompts.py": 'SYSTEM_PROMPT = """You answer questions about Acme garden tools.\n'
                                  'Answer in the customer\'s language and keep answers short."""\n',
}
TEAM_PROMPTS = [
    ".github/prompts/review.prompt.md",
    "config/agent.yaml",
    "crew/config/agents.yaml",
    "crew/config/tasks.yaml",
    "prompts/summarize.txt",
    "prompts/support.md",
    "prompts/triage.j2",
]
if ".py" in LOADERS:  # once the Python loader reads prompt constants
    TEAM_PROMPTS = sorted([*TEAM_PROMPTS, "src/support_bot/prompts.py"])


@pytest.fixture
def team_repo(tmp_path) -> Path:
    write(tmp_path, TEAM_REPO)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_team_repository_audits_its_prompts_and_nothing_else(team_repo, monkeypatch):
    assert sorted(show_files(team_repo, monkeypatch)) == TEAM_PROMPTS
    code, out = run(team_repo, monkeypatch, "audit", ".", "--format", "json", "--exit-zero")
    assert code == 0, out
    audited = sorted(Path(f["path"]).as_posix() for f in json.loads(out)["files"])
    assert audited == TEAM_PROMPTS
    # every taken file holds prompt text: the CrewAI values and the agent's system prompt included
    assert all(f["tokens"] > 0 for f in json.loads(out)["files"]), out


def test_team_repository_reasons(team_repo, monkeypatch):
    lines = show_files(team_repo, monkeypatch, "--verbose")
    by_path = {line.split()[1].rstrip(":"): line for line in lines}
    assert by_path["scratch"].startswith("skip ") and "ignored by git" in by_path["scratch"]
    assert "a requirements file" in by_path["requirements.txt"]
    assert "package manifest" in by_path["package.json"]
    assert "OpenAPI" in by_path["api/openapi.yaml"] and "JSON Schema" in by_path["schemas/reply.json"]
    assert "documentation site" in by_path["mkdocs.yml"]
    assert "no value is shaped like a prompt" in by_path["config/settings.yaml"]
    assert "CrewAI agent" in by_path["crew/config/agents.yaml"]
    assert "pyproject.toml" not in by_path  # files of other formats are not listed


def test_include_and_extend_include(team_repo, monkeypatch):
    (team_repo / "promptopt.toml").write_text('extend-include = ["docs/guide/*.md"]\n')
    assert sorted(show_files(team_repo, monkeypatch)) == sorted([*TEAM_PROMPTS, "docs/guide/prompt-style.md"])
    (team_repo / "promptopt.toml").write_text('include = ["prompts/*.md", "README.md"]\nexclude = ["README.md"]\n')
    assert show_files(team_repo, monkeypatch) == ["prompts/support.md"]  # exclude wins, as in ruff
    lines = show_files(team_repo, monkeypatch, "--verbose")
    assert "skip  prompts/triage.j2: matches no `include` pattern" in lines
    assert "skip  README.md: matches exclude 'README.md'" in lines


def test_a_named_file_is_audited_unless_force_exclude(team_repo, monkeypatch):
    assert show_files(team_repo, monkeypatch, "README.md", "prompts/support.md") == [
        "README.md", "prompts/support.md"]
    forced = show_files(team_repo, monkeypatch, "--force-exclude", "README.md", ".github/workflows/ci.yml",
                        "docs/index.md", "config/settings.yaml", "prompts/support.md", "config/agent.yaml")
    assert forced == ["prompts/support.md", "config/agent.yaml"]
    # naming a folder audits what is in it: `audit docs/` is a request for docs
    assert show_files(team_repo, monkeypatch, "docs") == ["docs/index.md", "docs/guide/prompt-style.md"]


def test_what_git_ignores_is_audited_only_when_named(team_repo, monkeypatch):
    (team_repo / ".git" / "info").mkdir(exist_ok=True)
    (team_repo / ".git" / "info" / "exclude").write_text("prompts/local.md\n")
    write(team_repo, {"prompts/local.md": BLOATED, "prompts/new.md": BLOATED})  # untracked, as git sees them
    listed = show_files(team_repo, monkeypatch)
    assert "prompts/new.md" in listed and "prompts/local.md" not in listed
    assert show_files(team_repo, monkeypatch, "scratch") == ["scratch/draft.md"]
    assert show_files(team_repo, monkeypatch, "scratch/draft.md") == ["scratch/draft.md"]


def test_outside_git_nothing_is_ignored(tmp_path, monkeypatch):
    write(tmp_path, {".gitignore": "scratch/\n", "scratch/draft.md": BLOATED, "prompts/a.md": BLOATED})
    assert show_files(tmp_path, monkeypatch) == ["prompts/a.md", "scratch/draft.md"]


def test_bad_config_include_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "promptopt.toml").write_text("include = 3\n")
    (tmp_path / "a.md").write_text(BLOATED)
    code, out = run(tmp_path, monkeypatch, "audit", "--show-files")
    assert code == 2 and "include" in out and "promptopt.toml" in out


# --- YAML and JSON by shape ----------------------------------------------------------------------

NOT_PROMPTS = {
    "workflow": ("on: push\njobs:\n  build:\n    steps:\n      - run: echo build the prompt system please\n",
                 "GitHub Actions workflow"),
    "action": ("name: x\ninputs:\n  base: {description: the base ref to compare the prompts with}\n"
               "runs:\n  using: composite\n  steps: []\n", "GitHub action"),
    "k8s": ("apiVersion: v1\nkind: ConfigMap\ndata:\n  system_prompt: You are a helpful assistant here.\n",
            "Kubernetes"),
    "compose": "services:\n  bot:\n    image: bot:latest\n    command: run the system prompt server\n",
    "vale": ("extends: existence\nmessage: \"'%s' is filler: remove it\"\ntokens: [please note]\n",
             "rule definition"),
    "long description": ("name: tool\ndescription: |\n  " + "This tool reads the tickets and sorts them. " * 8 + "\n",
                         "no value is shaped like a prompt"),
    "translations": ("welcome:\n  en: Welcome back to the dashboard.\n  fr: Bienvenue sur le tableau de bord.\n",
                     "no value is shaped like a prompt"),
}
PROMPTS = {
    "promptfoo": ("prompts:\n  - 'Translate {{text}} into French.'\nproviders: [openai:gpt-4o]\n", "prompts"),
    "messages": ('[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}]',
                 "chat messages"),
    "instructions": ('{"name": "helper", "instructions": "Answer questions about the invoice only."}',
                     "key that names a prompt"),
    # one prompt per language: the language is the last key, the key above it names the prompt
    "per language": ("summary_system:\n  en: |\n    Summarize the notes in three bullets.\n"
                     "  zh: |\n    用三个要点总结这些笔记。请保持简洁。\n",
                     "`summary_system.en` has a key that names a prompt"),
}


@pytest.mark.parametrize("name", NOT_PROMPTS)
def test_known_shapes_are_not_prompts(name):
    entry = NOT_PROMPTS[name]
    text, why = entry if isinstance(entry, tuple) else (entry, "Docker Compose")
    is_prompt, reason = yaml_verdict(text)
    assert not is_prompt and why in reason


@pytest.mark.parametrize("name", PROMPTS)
def test_prompt_shapes_are_prompts(name):
    text, why = PROMPTS[name]
    is_prompt, reason = (json_verdict if text.startswith(("[", "{")) else yaml_verdict)(text)
    assert is_prompt and why in reason


def test_unparsable_yaml_is_left_to_the_audit_to_report():
    assert yaml_verdict("a: [1, 2\n") is None and json_verdict("{") is None


# --- diff and the PR comment count prompts only -------------------------------------------------------

@pytest.mark.skipif(importlib.util.find_spec("litellm") is None, reason="litellm (the price map) is not installed")
def test_diff_reports_the_prompt_alone(team_repo, monkeypatch):
    (team_repo / "promptopt.toml").write_text('extend-include = ["data/*.json"]\n')
    write(team_repo, {"data/records.json": '{"orders": [1, 2, 3]}\n'})  # included by glob, holds no prompt
    git(team_repo, "add", ".")
    git(team_repo, "commit", "-q", "-m", "config")
    write(team_repo, {
        "README.md": TEAM_REPO["README.md"] + "Please note that the bot now answers in French as well.\n",
        ".github/workflows/ci.yml": TEAM_REPO[".github/workflows/ci.yml"] + "      - run: ruff check .\n",
        "config/settings.yaml": "timeout: 60\n",
        "data/records.json": '{"orders": [1, 2, 3, 4]}\n',
        "prompts/support.md": TEAM_REPO["prompts/support.md"] + "Never promise a delivery date.\n",
    })
    git(team_repo, "commit", "-qam", "change docs, CI, settings, data and a prompt")
    code, out = run(team_repo, monkeypatch, "diff", "--base", "HEAD~1", "--format", "json")
    assert code == 0, out
    assert [c["path"] for c in json.loads(out)["changes"]] == ["prompts/support.md"]
    code, comment = run(team_repo, monkeypatch, "diff", "--base", "HEAD~1", "--format", "markdown")
    assert "prompts/support.md" in comment
    assert not any(name in comment for name in ("README", "ci.yml", "settings.yaml", "records.json"))


# --- the real pre-commit hook -----------------------------------------------------------------------------

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")
def test_the_hook_audits_the_prompts_alone(tmp_path, hook_repo, pre_commit_env):
    """The hook's default `files:` pattern hands it every Markdown, text, YAML and JSON file; discovery
    (`--force-exclude`) keeps the prompts. `--select PO4`: findings that every bloated text here has."""
    path, rev = hook_repo
    hooks = (f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n"
             "      - id: promptopt-audit\n        args: [--select=PO4]\n"
             "      - id: promptopt-audit\n        alias: show\n        args: [--show-files]\n"
             "        verbose: true\n        stages: [manual]\n")
    write(tmp_path, {**TEAM_REPO, ".pre-commit-config.yaml": hooks})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    listed = subprocess.run([PRE_COMMIT, "run", "--all-files", "--hook-stage", "manual", "show"], cwd=tmp_path,
                            env=pre_commit_env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    taken = sorted(line.strip() for line in listed.stdout.splitlines() if line.strip() in TEAM_REPO)
    assert taken == TEAM_PROMPTS, listed.stdout
    # README, docs and CHANGELOG are bloated on purpose: the hook passes all the same
    passed = subprocess.run([PRE_COMMIT, "run", "--all-files"], cwd=tmp_path, env=pre_commit_env,
                            capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    write(tmp_path, {"prompts/new.md": BLOATED})
    git(tmp_path, "add", ".")
    blocked = subprocess.run([PRE_COMMIT, "run", "--all-files"], cwd=tmp_path, env=pre_commit_env,
                             capture_output=True, text=True)
    assert blocked.returncode != 0 and "prompts/new.md" in blocked.stdout
    assert "README.md" not in blocked.stdout and "docs/index.md" not in blocked.stdout


# --- files known not to be prompts, by name ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "why"), [
    ("README.md", "README"), ("readme.txt", "README"), ("CHANGELOG.md", "changelog"), ("LICENSE.txt", "licence"),
    ("SECURITY.md", "security policy"), ("requirements-dev.txt", "requirements"), ("poetry.lock", "lockfile"),
    ("pnpm-lock.yaml", "lockfile"), ("config.schema.json", "JSON Schema"), ("page.html.j2", ".html"),
    ("nginx.conf.jinja", ".conf"), ("action.yml", "GitHub action"), ("CMakeLists.txt", "build definition"),
])
def test_known_non_prompt_names(name, why):
    from promptopt.known_files import not_a_prompt

    reason = not_a_prompt(name, ())
    assert reason and why in reason


@pytest.mark.parametrize("name", ["support.md", "security_review.md", "history_summary.txt", "notes.md",
                                  "system.md", "email.md.j2", "CLAUDE.md"])
def test_prompt_names_that_look_like_project_files_are_kept(name):
    from promptopt.known_files import not_a_prompt

    assert not_a_prompt(name, ("prompts",)) is None


def test_a_word_list_is_data_and_a_label_list_prompt_is_a_prompt(tmp_path, monkeypatch):
    words = "\n".join(["dr", "mr", "mrs", "st", "prof", "jr", "sr", "co", "inc", "ltd"] * 3) + "\n"
    labels = ("These are the intents one might ask for:\n\n" + "".join(f"    Intent{n},\n" for n in range(25))
              + "\nWhich intent is this query asking for? If none match, respond with Unknown.\n{{$input}}\n")
    write(tmp_path, {"nltk/abbrev_types.txt": words, "prompts/intent.txt": labels})
    assert show_files(tmp_path, monkeypatch) == ["prompts/intent.txt"]
    code, out = run(tmp_path, monkeypatch, "audit", "--show-files", "--verbose")
    assert "word list (30 of 30 lines are one word)" in out
