"""Issue 11, items 6 and 8: worker processes die with their parent, Ctrl-C stops an eval promptly, and the
smaller input cases (UTF-16, a late NUL byte, a bad PROMPTOPT_JOBS, a file named twice).

Every wait here is bounded (a subprocess timeout, a polling deadline); nothing asserts a duration."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

PROJECT = Path(__file__).resolve().parents[1]
PROMPT = "You are a support assistant. Please note that you must answer politely.\n"



@pytest.fixture(autouse=True)
def _filler_rules_selected(tmp_path):
    """These tests plant filler (PO401, opt-in) as the finding a healthy file still gets: select it."""
    (tmp_path / "promptopt.toml").write_text('extend-select = ["PO4"]\nmin-tokens = 0\n', encoding="utf-8")

def _env(**extra) -> dict:
    return dict(os.environ, PYTHONPATH=str(PROJECT), LITELLM_LOCAL_MODEL_COST_MAP="True", **extra)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux) to find the workers")
def test_parallel_workers_die_when_the_audit_is_killed(tmp_path):
    for i in range(600):
        (tmp_path / f"p{i:03}.md").write_text(PROMPT * 200, encoding="utf-8")
    audit = subprocess.Popen([sys.executable, "-m", "promptopt", "audit", str(tmp_path)], env=_env(PROMPTOPT_JOBS="2"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2 and audit.poll() is None:
            workers = _children(audit.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the audit never started its workers"
        audit.kill()
        audit.wait(timeout=30)
        deadline = time.monotonic() + 30  # a worker notices within a second; 30 s is generous
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived their parent"
    finally:
        audit.kill()
        for worker in _children(audit.pid):
            os.kill(worker, signal.SIGKILL)


class _SlowServer:
    """An OpenAI-compatible endpoint that holds every request until the test ends (at most 60 s)."""

    def __init__(self):
        self.arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.arrived.set()
                outer.release.wait(60)
                try:
                    self.send_response(503)
                    self.end_headers()
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_ctrl_c_stops_an_eval_promptly_and_a_second_one_prints_no_traceback(tmp_path):
    server = _SlowServer()
    try:
        (tmp_path / "p.txt").write_text("Capital of {{country}}? One word.", encoding="utf-8")
        (tmp_path / "suite.yaml").write_text(
            "prompt: p.txt\nmodel: openai/test-model\ntests:\n"
            + "".join(f"  - {{id: c{i}, vars: {{country: C{i}}}, assert: [{{type: icontains, value: x}}]}}\n"
                      for i in range(6)), encoding="utf-8")
        port = server.httpd.server_port
        env = _env(OPENAI_API_KEY="sk-test-not-a-real-key", OPENAI_API_BASE=f"http://127.0.0.1:{port}/v1",
                   PROMPTOPT_CACHE_DIR=str(tmp_path / "cache"))
        proc = subprocess.Popen([sys.executable, "-m", "promptopt", "eval", "suite.yaml", "--timeout", "50"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert server.arrived.wait(180), "the eval never called the server"
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # the impatient second Ctrl-C
        # before: the process waited for the in-flight calls (up to --timeout, 50 s)
        out, err = proc.communicate(timeout=20)
    finally:
        server.close()
    assert "Traceback" not in err, err
    assert proc.returncode != 0


def test_utf16_with_a_bom_is_read_and_fixed_in_utf16(tmp_path):
    prompt = tmp_path / "notepad.txt"
    prompt.write_bytes(b"\xff\xfe" + PROMPT.encode("utf-16-le"))
    result = CliRunner().invoke(main, ["audit", str(prompt), "--format", "json"])
    report = json.loads(result.stdout)
    assert report["files"][0]["error"] is None
    assert any(f["code"] == "PO401" for f in report["files"][0]["findings"])
    CliRunner().invoke(main, ["audit", str(prompt), "--fix"])
    data = prompt.read_bytes()
    assert data.startswith(b"\xff\xfe") and "Please note" not in data[2:].decode("utf-16-le")


def test_utf16_without_a_bom_is_named_as_such(tmp_path):
    (tmp_path / "p.txt").write_bytes(PROMPT.encode("utf-16-le"))
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "p.txt")])
    assert result.exit_code == 2 and "UTF-16 without a byte order mark" in result.output


def test_a_nul_byte_after_the_first_8_kb_is_binary(tmp_path):
    (tmp_path / "p.md").write_bytes(PROMPT.encode() * 300 + b"\x00\x01\x02 binary tail")
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "p.md")])
    assert result.exit_code == 2 and "binary file (NUL bytes)" in result.output


def test_a_bad_promptopt_jobs_is_named(tmp_path):
    (tmp_path / "p.md").write_text(PROMPT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "promptopt", "audit", "p.md"], cwd=tmp_path,
                          env=_env(PROMPTOPT_JOBS="abc"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "PROMPTOPT_JOBS" in done.stderr and "Traceback" not in done.stderr


def test_a_file_named_twice_is_reported_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("p.md").write_text(PROMPT, encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", "p.md", "./p.md", "p.md", "--format", "json"])
    report = json.loads(result.stdout)
    assert len(report["files"]) == 1
    assert len([f for f in report["files"][0]["findings"] if f["code"] == "PO401"]) == 1
