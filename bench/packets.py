"""What the readers of the held-out protocol get (docs/precision.md), from a run folder of
`bench/testset.py audit`: the precision packet (the judging brief, the files, the findings sampled as
the brief says, a verdict sheet), the recall packet (the brief and the files, no finding anywhere), and
the per-rule dev-vs-test table from the filled-in sheets. Used through `bench/testset.py`.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

JUDGING = Path(__file__).resolve().parents[2] / "shared" / "notes" / "judging.md"


def findings_in_order(report: dict) -> list[dict]:
    """Every finding in file order, with the path, as the judging brief samples them."""
    return [{"path": f["path"], **finding} for f in report["files"] for finding in f["findings"]]


def sample_findings(report: dict, n: int, seed: int) -> list[dict]:
    """The brief's sample: random.Random(seed).sample over the findings in file order, or all of them."""
    findings = findings_in_order(report)
    return findings if len(findings) <= n else random.Random(seed).sample(findings, n)


def _copy_files(root: Path, paths: list[str], out: Path) -> None:
    for rel in paths:
        target = out / "files" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)


def _brief(out: Path, brief: Path) -> None:
    if not brief.is_file():
        raise SystemExit(f"testset: no judging brief at {brief}")
    shutil.copyfile(brief, out / "BRIEF.md")


def precision_packet(run: Path, out: Path, n: int, seed: int, brief: Path = JUDGING) -> list[dict]:
    """A folder for a reader: the brief, the files, the sampled findings and a sheet to fill in.
    Only what the reader may see: no rule docs, no fix edits, no verdicts of earlier readers."""
    report = json.loads((run / "findings.json").read_text(encoding="utf-8"))
    root = Path((run / "root.txt").read_text(encoding="utf-8").strip())
    sample = sample_findings(report, n, seed)
    out.mkdir(parents=True, exist_ok=True)
    _brief(out, brief)
    _copy_files(root, [f["path"] for f in report["files"] if not f["error"]], out)
    shown = [{"n": i, "code": f["code"], "name": f["name"], "path": f["path"], "line": f["line"],
              "message": f["message"], "tokens_saved": f["tokens_saved"],
              "fix": f["fix"]["title"] if f["fix"] else None} for i, f in enumerate(sample, 1)]
    (out / "findings.json").write_text(json.dumps(shown, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with (out / "verdicts.tsv").open("w", encoding="utf-8") as fh:
        fh.write("n\tcode\tname\tpath\tline\tverdict\treason\n")
        fh.writelines(f"{f['n']}\t{f['code']}\t{f['name']}\t{f['path']}\t{f['line']}\t\t\n" for f in shown)
    (out / "README.md").write_text(
        f"Judge each finding in findings.json against the files in files/, as BRIEF.md says; write RIGHT or "
        f"WRONG and a one-line reason in verdicts.tsv. {len(shown)} of {len(findings_in_order(report))} "
        f"findings (seed {seed}).\n", encoding="utf-8")
    return shown


def recall_packet(run: Path, out: Path, brief: Path = JUDGING) -> list[str]:
    """The recall packet: the brief and the files, no finding at all, and a sheet that asks for each
    file's main waste or defect (named blind, before any finding is seen)."""
    report = json.loads((run / "findings.json").read_text(encoding="utf-8"))
    root = Path((run / "root.txt").read_text(encoding="utf-8").strip())
    paths = [f["path"] for f in report["files"] if not f["error"]]
    out.mkdir(parents=True, exist_ok=True)
    _brief(out, brief)
    _copy_files(root, paths, out)
    tokens = {f["path"]: f["tokens"] for f in report["files"]}
    with (out / "recall.tsv").open("w", encoding="utf-8") as fh:
        fh.write("path\ttokens\tmain_waste_or_defect\tkind\twaste_tokens_estimate\n")
        fh.writelines(f"{p}\t{tokens[p]}\t\t\t\n" for p in paths)
    (out / "README.md").write_text(
        "For each file in files/, name the most costly waste or defect a careful prompt engineer would fix "
        "(BRIEF.md, 'Recall'), its kind (waste or defect) and, for waste, the tokens it costs per request "
        "(the tokens column is promptopt's count of the whole prompt). Write 'none' for a clean file.\n",
        encoding="utf-8")
    return paths


def read_verdicts(sheet: Path) -> list[dict[str, str]]:
    with sheet.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def per_rule(sheets: list[Path]) -> dict[str, tuple[int, int]]:
    """code -> (RIGHT, judged) over filled-in verdict sheets; rows without a verdict are not judged."""
    tally: dict[str, list[int]] = {}
    for sheet in sheets:
        for row in read_verdicts(sheet):
            verdict = (row.get("verdict") or "").strip().upper()
            if verdict not in {"RIGHT", "WRONG"}:
                continue
            entry = tally.setdefault(row["code"], [0, 0])
            entry[0] += verdict == "RIGHT"
            entry[1] += 1
    return {code: (right, judged) for code, (right, judged) in sorted(tally.items())}


def dev_test_table(dev: list[Path], test: list[Path]) -> str:
    """The note's table: per rule, right of judged on dev and on test, and the totals."""
    dev_rules, test_rules = per_rule(dev), per_rule(test)

    def cell(figures: tuple[int, int] | None) -> str:
        if not figures:
            return ""
        right, judged = figures
        return f"{right} / {judged} ({right / judged:.0%})"

    def total(rules: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
        judged = sum(j for _, j in rules.values())
        return (sum(r for r, _ in rules.values()), judged) if judged else None

    lines = ["| rule | dev | test |", "|---|---|---|"]
    for code in sorted(set(dev_rules) | set(test_rules)):
        lines.append(f"| {code} | {cell(dev_rules.get(code))} | {cell(test_rules.get(code))} |")
    lines.append(f"| **all** | {cell(total(dev_rules))} | {cell(total(test_rules))} |")
    return "\n".join(lines) + "\n"
