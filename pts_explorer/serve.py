"""Serve the app with several processes: N `streamlit run` workers behind Caddy with sticky sessions.

    python -m pts_explorer.serve [--workers N|auto] [--port 8501] [--address 127.0.0.1] [--run-dir DIR]
    python -m pts_explorer.serve --stop [--run-dir DIR]

(`make serve WORKERS=N`, `make serve-stop`.) Every worker reads the same outcomes file read-only
($PTS_DB) and shares one workspace ($PTS_WORKSPACE, saved cohorts and talks: SQLite in WAL mode, one
writer at a time across processes). The workers listen on 127.0.0.1 on free ports; only the proxy
listens on --address. A Streamlit session lives in the process whose websocket holds it, so the proxy
keeps each browser on one worker with a cookie (pts_explorer/Caddyfile.template says how).

This process supervises the others: it starts the workers, waits until each is healthy, writes the
proxy's configuration from the template into the run folder and starts Caddy. Ctrl-C, SIGTERM
(`--stop`, systemd) or any of them ending stops them all; each child is also told by the kernel to
end if this process dies without cleaning up (Linux: PR_SET_PDEATHSIG). The run folder (mode 0700)
holds the generated Caddyfile, each process's log and serve.json: the supervisor's pid, the URL and
each worker's port and pid.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pts_explorer import config

TEMPLATE = Path(__file__).with_name("Caddyfile.template")
STATE = "serve.json"
COOKIE = "pts_worker"
HEALTHY_WITHIN = 180.0  # seconds a worker (or the proxy) may take to answer its health check
STOP_WITHIN = 15.0  # seconds the children have to end after SIGTERM, before SIGKILL
MAX_WORKERS = 64


class ServeError(RuntimeError):
    """Serving cannot start or go on; the text says what to do."""


@dataclass
class Child:
    name: str  # "worker 1", "proxy"
    proc: subprocess.Popen
    log: Path
    port: int

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def default_run_dir() -> Path:
    return Path(os.environ.get("PTS_SERVE_DIR") or config.PROJECT_ROOT / ".serve")


def worker_count(raw: str) -> int:
    """WORKERS as given: a whole number from 1, or "auto" (one per core)."""
    if raw.strip().lower() == "auto":  # the cores this process may run on (a container's CPU set)
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_WORKERS:
        raise ServeError(f"WORKERS={raw!r}: give a whole number from 1 to {MAX_WORKERS}, or auto (one per core).")
    return int(raw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_port_free(address: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Caddy binds: a socket in TIME_WAIT is no user
        try:
            s.bind((address, port))
        except OSError as exc:
            raise ServeError(
                f"Cannot listen on {address}:{port}: {exc.strerror or exc}. Stop what uses it (another `make run` "
                "or `make serve`?) or choose another port: make serve SERVE_PORT=8600."
            ) from None


def caddy_path() -> str:
    found = os.environ.get("CADDY") or shutil.which("caddy")
    if not found:
        raise ServeError("Caddy is not installed: `make caddy` installs Debian's package (or set CADDY to its path).")
    return found


def caddyfile(address: str, port: int, worker_ports: list[int], secret: str) -> str:
    """The proxy's configuration: the template with this run's address, ports and cookie secret."""
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        address=address,
        port=port,
        upstreams=" ".join(f"127.0.0.1:{p}" for p in worker_ports),
        cookie=COOKIE,
        secret=secret,
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to send SIGTERM to this child when its parent (the supervisor) dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start(name: str, argv: list[str], log: Path, port: int, env: dict[str, str]) -> Child:
    with open(log, "ab") as out:  # a file, not a pipe: a full pipe blocks the server
        proc = subprocess.Popen(
            argv,
            cwd=config.PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops the children in order
            preexec_fn=_die_with_parent,  # safe here: the supervisor runs no other thread
        )
    return Child(name, proc, log, port)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=3) as r:
            return bool(r.read().decode().strip() == "ok")
    except OSError:
        return False


def _wait_healthy(children: list[Child], url_of: dict[str, str], stopping: list[bool]) -> None:
    waiting = list(children)
    deadline = time.monotonic() + HEALTHY_WITHIN
    while waiting:
        if stopping[0]:
            raise ServeError("Stopped before every process was ready.")
        for child in list(waiting):
            if child.proc.poll() is not None:
                raise ServeError(
                    f"The {child.name} ended (exit {child.proc.returncode}) before it was ready; the end of "
                    f"its log ({child.log}):\n{child.tail()}"
                )
            if healthy(url_of[child.name]):
                waiting.remove(child)
        if waiting and time.monotonic() > deadline:
            names = ", ".join(c.name for c in waiting)
            folder = waiting[0].log.parent
            raise ServeError(f"Not healthy after {HEALTHY_WITHIN:.0f} s: {names}; see the logs in {folder}.")
        time.sleep(0.3)


def stop_all(children: list[Child]) -> None:
    """SIGTERM to every child (the proxy first, so no request reaches a stopping worker), then SIGKILL
    to any still running after STOP_WITHIN seconds."""
    for child in sorted(children, key=lambda c: c.name != "proxy"):
        if child.proc.poll() is None:
            child.proc.terminate()
    deadline = time.monotonic() + STOP_WITHIN
    for child in children:
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()


def _alive(pid: int) -> bool:
    """Whether `pid` runs: an ended process its parent has not yet reaped (a zombie) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: the signal's answer stands


def read_state(run_dir: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((run_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("pid"), int) else None


def _prepare_run_dir(run_dir: Path) -> None:
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir.chmod(0o700)  # logs hold error references, the Caddyfile the cookie secret
    state = read_state(run_dir)
    if state and _alive(state["pid"]):
        raise ServeError(
            f"Already serving from {run_dir} (supervisor pid {state['pid']}, {state.get('url')}): "
            "stop it first with `make serve-stop`, or give another run folder (PTS_SERVE_DIR)."
        )


def serve(workers: int, address: str, port: int, run_dir: Path) -> int:
    """Run until stopped; returns the exit status (0 after Ctrl-C or SIGTERM, 1 when a child ended)."""
    db = config.db_path().resolve()
    if not db.exists():
        raise ServeError(f"The outcomes file {db} does not exist: `make demo-data` builds the demo, or set PTS_DB.")
    workspace = config.workspace_path().resolve()
    caddy = caddy_path()
    check_port_free(address, port)
    run_dir = run_dir.resolve()
    _prepare_run_dir(run_dir)

    stopping = [False]

    def on_signal(signum: int, _frame: object) -> None:
        stopping[0] = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    env = {**os.environ, "PTS_DB": str(db), "PTS_WORKSPACE": str(workspace), "PYTHONUNBUFFERED": "1"}
    # One cookie secret for every worker (Streamlit signs its cookies with it), so a cookie one worker set
    # is valid on another: after a worker restarts, or when the proxy moves a browser to another worker.
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
    children: list[Child] = []
    status = 0
    try:
        ports = []
        for i in range(1, workers + 1):
            worker_port = free_port()
            argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
            argv += ["--server.address", "127.0.0.1", "--server.port", str(worker_port)]
            argv += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
            children.append(_start(f"worker {i}", argv, run_dir / f"worker-{i}.log", worker_port, env))
            ports.append(worker_port)
        _wait_healthy(children, {c.name: f"http://127.0.0.1:{c.port}" for c in children}, stopping)

        conf = run_dir / "Caddyfile"
        conf.write_text(caddyfile(address, port, ports, secrets.token_hex(16)), encoding="utf-8")
        conf.chmod(0o600)
        caddy_home = run_dir / "caddy"
        caddy_env = {**os.environ, "XDG_CONFIG_HOME": str(caddy_home), "XDG_DATA_HOME": str(caddy_home)}
        proxy_argv = [caddy, "run", "--config", str(conf), "--adapter", "caddyfile"]
        proxy = _start("proxy", proxy_argv, run_dir / "proxy.log", port, caddy_env)
        children.append(proxy)
        host = f"[{address}]" if ":" in address else address
        url = f"http://{'127.0.0.1' if address in ('0.0.0.0', '::') else host}:{port}"
        _wait_healthy([proxy], {"proxy": url}, stopping)

        state = {
            "pid": os.getpid(),
            "url": url,
            "address": address,
            "port": port,
            "db": str(db),
            "workspace": str(workspace),
            "proxy": {"pid": proxy.proc.pid},
            "workers": [{"port": c.port, "pid": c.proc.pid} for c in children if c is not proxy],
        }
        (run_dir / STATE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        plural = "s" if workers > 1 else ""
        print(
            f"Serving {db.name} at http://{host}:{port} with {workers} worker{plural} (port{plural} "
            f"{', '.join(map(str, ports))}) behind Caddy; saved cohorts in {workspace}; logs in {run_dir}. "
            "Ctrl-C or `make serve-stop` stops them all.",
            flush=True,
        )
        while not stopping[0]:
            ended = next((c for c in children if c.proc.poll() is not None), None)
            if ended:
                print(
                    f"The {ended.name} ended (exit {ended.proc.returncode}): stopping the others. The end of its "
                    f"log ({ended.log}):\n{ended.tail()}",
                    file=sys.stderr,
                    flush=True,
                )
                status = 1
                break
            time.sleep(0.5)
    finally:
        stop_all(children)
        state_now = read_state(run_dir)
        if state_now and state_now["pid"] == os.getpid():
            (run_dir / STATE).unlink(missing_ok=True)
    if stopping[0]:
        print("Stopped every worker and the proxy.", flush=True)
    return status


def stop(run_dir: Path) -> int:
    """Stop the supervisor serving from `run_dir` (SIGTERM: it stops its children) and wait for it."""
    state = read_state(run_dir)
    if not state or not _alive(state["pid"]):
        print(f"Nothing is being served from {run_dir}.")
        return 0
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + STOP_WITHIN + 10
    while _alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(state["pid"]):
        print(f"The supervisor (pid {state['pid']}) did not stop within {STOP_WITHIN + 10:.0f} s.", file=sys.stderr)
        return 1
    print(f"Stopped {state.get('url')} (supervisor pid {state['pid']}).")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", default="auto", help="app processes: a number, or auto (one per core)")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    parser.add_argument("--address", default="127.0.0.1", help="the proxy's address (default 127.0.0.1)")
    parser.add_argument("--run-dir", type=Path, default=None, help="logs, the generated Caddyfile, serve.json")
    parser.add_argument("--stop", action="store_true", help="stop what serves from --run-dir")
    args = parser.parse_args(argv)
    run_dir = args.run_dir or default_run_dir()
    try:
        if args.stop:
            return stop(run_dir)
        if not 1 <= args.port <= 65535:
            raise ServeError(f"SERVE_PORT={args.port}: a port is a number from 1 to 65535.")
        return serve(worker_count(args.workers), args.address, args.port, run_dir)
    except ServeError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
