"""`make serve`'s supervisor (pts_explorer.serve) refuses what it cannot serve with a message naming the fix,
and writes the proxy's configuration from the template with this run's values only. (It serving two
workers behind Caddy in Chromium: tests/browser/test_serve_workers.py.)"""

import json
import os
import re
import socket
import subprocess
import sys

import pytest

from pts_explorer import serve
from pts_explorer.config import PROJECT_ROOT


@pytest.mark.parametrize("raw", ["0", "-1", "two", "2.5", "", "65"])
def test_a_worker_count_that_is_no_count_is_refused_by_name(raw):
    with pytest.raises(serve.ServeError) as refused:
        serve.worker_count(raw)
    assert str(refused.value) == f"WORKERS={raw!r}: give a whole number from 1 to 64, or auto (one per core)."


def test_worker_counts():
    assert [serve.worker_count(raw) for raw in ("1", "2", " 3 ", "64")] == [1, 2, 3, 64]
    assert serve.worker_count("auto") == serve.worker_count("AUTO") == len(os.sched_getaffinity(0))


def test_the_caddyfile_holds_this_runs_values_and_nothing_of_the_template_left():
    text = serve.caddyfile("127.0.0.1", 8601, [40001, 40002], "s3cret")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "http://:8601 {" in lines and "bind 127.0.0.1" in lines
    assert "reverse_proxy 127.0.0.1:40001 127.0.0.1:40002 {" in lines
    assert "lb_policy cookie pts_worker s3cret" in lines
    assert "health_uri /_stcore/health" in lines
    assert "header_down X-PTS-Worker {http.reverse_proxy.upstream.port}" in lines
    assert "$" not in text.replace("$$", "")  # every name filled in
    assert str(PROJECT_ROOT) not in serve.TEMPLATE.read_text()  # the template names no path of a machine


def test_a_port_in_use_is_named_with_the_setting_that_changes_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(serve.ServeError) as refused:
            serve.check_port_free("127.0.0.1", port)
    # the middle is the operating system's words for the refusal: the rest is whole
    assert re.fullmatch(
        rf"Cannot listen on 127\.0\.0\.1:{port}: [^\n]+ or choose another port: make serve SERVE_PORT=8600\.",
        str(refused.value),
    ), str(refused.value)


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pts_explorer.serve", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_outcomes_file_is_named_and_nothing_starts(tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    done = _run("--workers", "1", "--run-dir", str(tmp_path / "run"), env={"PTS_DB": str(missing)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"The outcomes file {missing} does not exist: `make demo-data` builds the demo, or set PTS_DB.\n"
    )
    assert not (tmp_path / "run").exists()


def test_a_run_folder_already_serving_is_refused(tmp_path, small_db):
    run = tmp_path / "run"
    run.mkdir()
    (run / "serve.json").write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:1"}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _run("--workers", "1", "--port", str(port), "--run-dir", str(run), env={"PTS_DB": str(small_db)})
    assert done.returncode == 2
    assert done.stderr == (
        f"Already serving from {run} (supervisor pid {os.getpid()}, http://127.0.0.1:1): stop it first with "
        "`make serve-stop`, or give another run folder (PTS_SERVE_DIR).\n"
    )


def test_stop_with_nothing_served(tmp_path):
    done = _run("--stop", "--run-dir", str(tmp_path))
    assert (done.returncode, done.stdout) == (0, f"Nothing is being served from {tmp_path}.\n")
