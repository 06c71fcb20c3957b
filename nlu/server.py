"""Training and serving the Rasa NLU model (Rasa runs in its own venv, .venv-rasa, as a child process).

Functions for the `gridsec nlu …` subcommands and the bot:

    train(force=False, progress=True) -> Path           # cached by a hash of the inputs
    start_server(port=5005, model=None) -> RasaServer    # child process, returns once /model/parse answers
    serve(port=5005)                                     # blocking (`gridsec nlu serve`), Ctrl-C stops cleanly
    input_hash() -> str

Paths and the Rasa venv's environment come from nlu.paths. Standard library only.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from nlu.paths import (COMPONENTS, DEFAULT_HISTORY, LOG_DIR, MODELS_DIR, NLU_HOME, PROJECT, REQUIREMENTS, ROOT,
                       ROUTER_PATH, rasa_bin, rasa_env)


# -- training -------------------------------------------------------------------------------------
def _inputs() -> list[Path]:
    files = [PROJECT / "config.yml", REQUIREMENTS]
    for sub in ("data", "dictionary"):
        files += sorted(p for p in (PROJECT / sub).rglob("*") if p.is_file())
    files += sorted(COMPONENTS.glob("*.py"))
    files += [ROOT / "nlu" / name for name in ("normalize.py", "danger.py", "danger.yaml")]  # the components read them
    if ROUTER_PATH.exists():
        files.append(ROUTER_PATH)
    return files


def input_hash() -> str:
    h = hashlib.sha256()
    for p in _inputs():
        h.update(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def model_path_for(digest: str | None = None) -> Path:
    return MODELS_DIR / f"nlu-{(digest or input_hash())[:16]}.tar.gz"


def latest_model() -> Path | None:
    """The model for the current inputs if trained, else the newest one on disk."""
    p = model_path_for()
    if p.exists():
        return p
    models = sorted(MODELS_DIR.glob("nlu-*.tar.gz"), key=lambda q: q.stat().st_mtime)
    return models[-1] if models else None


@contextlib.contextmanager
def _train_lock():
    import fcntl

    NLU_HOME.mkdir(parents=True, exist_ok=True)
    with (NLU_HOME / "train.lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # one Rasa training at a time (memory: ~1.5–2 GB each)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class _Progress:
    """A one-line progress display fed by Rasa's log lines (components done, DIET epochs)."""

    EPOCH = re.compile(r"Epochs:\s+(\d+)%.*?(\d+)/(\d+)")

    def __init__(self, enabled: bool, total_components: int):
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total_components
        self.done = 0
        self.epoch = ""
        self.t0 = time.time()
        self.last = 0.0

    def feed(self, line: str) -> None:
        if "Finished training component" in line or "Restored component" in line:
            self.done += 1
        m = self.EPOCH.search(line)
        if m:
            self.epoch = f" · DIET epoch {m.group(2)}/{m.group(3)}"
        self.show()

    def show(self, final: bool = False) -> None:
        if not self.enabled or (not final and time.time() - self.last < 0.2):
            return
        self.last = time.time()
        n = min(self.done, self.total)
        width = 24
        bar = "█" * int(width * n / max(self.total, 1))
        sys.stderr.write(f"\rtraining NLU [{bar:<{width}}] {n}/{self.total} components{self.epoch} "
                         f"· {time.time() - self.t0:5.0f}s ")
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _pipeline_length() -> int:
    text = (PROJECT / "config.yml").read_text(encoding="utf-8")
    return len(re.findall(r"^\s*-\s*name:", text, re.M))


def ensure_router(progress: bool = True) -> Path | None:
    """Trains the department router from DEFAULT_HISTORY when none exists and the history is there."""
    if ROUTER_PATH.exists():
        return ROUTER_PATH
    if not DEFAULT_HISTORY.exists():
        return None
    from nlu.router_train import train_router

    train_router(DEFAULT_HISTORY, segmented="segmented" in DEFAULT_HISTORY.name, out=ROUTER_PATH)
    return ROUTER_PATH


def train(force: bool = False, progress: bool = True, with_router: bool = True) -> Path:
    """Trains the NLU model unless one for the same inputs exists; returns the model path.

    Inputs hashed: config.yml, data/**, dictionary/**, nlu/components/*.py, what they read from nlu/
    (normalize.py, danger.py, danger.yaml), the router model, the Rasa
    requirements. Writes <model>.json beside the model with train seconds and peak RSS.
    """
    rasa = rasa_bin()
    with _train_lock():
        if with_router:
            ensure_router(progress)
        digest = input_hash()
        out = model_path_for(digest)
        if out.exists() and not force:
            if progress:
                print(f"NLU model up to date: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}",
                      file=sys.stderr)
            return out
        MODELS_DIR.mkdir(parents=True, exist_ok=True)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_path = LOG_DIR / "train.log"
        cmd = [str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "data", "--out", str(MODELS_DIR),
               "--fixed-model-name", out.name.removesuffix(".tar.gz")]
        bar = _Progress(progress, _pipeline_length())
        t0 = time.time()
        peak = _PeakRss()
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, cwd=PROJECT, env=rasa_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
                                    bufsize=1, start_new_session=True)
            peak.watch(proc.pid)
            try:
                for chunk in _lines(proc.stdout):
                    log.write(chunk)
                    bar.feed(chunk)
                rc = proc.wait()
            except BaseException:
                _terminate(proc)
                raise
            finally:
                peak.stop()
        if rc == 0:
            bar.done = bar.total  # untrainable components (merger, fallback) log no "Finished training"
        bar.show(final=True)
        seconds = time.time() - t0
        if rc != 0 or not out.exists():
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"rasa train failed (exit {rc}); log {log_path}:\n{tail}")
        info = {"model": out.name, "input_hash": digest, "train_seconds": round(seconds, 1),
                "peak_rss_mb": round(max(peak.peak_kb, _children_maxrss_kb()) / 1024, 1),
                "size_mb": round(out.stat().st_size / 1e6, 1), "router": ROUTER_PATH.exists()}
        out.with_suffix("").with_suffix(".json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        if progress:
            print(f"trained {out.name} in {seconds:.0f} s, peak RSS {info['peak_rss_mb']:.0f} MB", file=sys.stderr)
        _prune_models(keep=out)
        return out


def _prune_models(keep: Path, n: int = 2) -> None:
    models = sorted(MODELS_DIR.glob("nlu-*.tar.gz"), key=lambda q: q.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][n - 1:]:
        old.unlink(missing_ok=True)
        old.with_suffix("").with_suffix(".json").unlink(missing_ok=True)


def _lines(stream):
    """Lines, also splitting tqdm's carriage-return updates."""
    buf = ""
    while True:
        ch = stream.read(1)
        if not ch:
            if buf:
                yield buf
            return
        buf += ch
        if ch in "\r\n":
            yield buf if ch == "\n" else buf[:-1] + "\n"
            buf = ""


def _children_maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def rss_kb(pid: int) -> int:
    """Resident set size of a process and its descendants, in kB (0 when gone)."""
    total = 0
    for p in [pid] + _descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total


def _descendants(pid: int) -> list[int]:
    out, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, PermissionError):
            kids = []
        for k in kids:
            out.append(int(k))
            frontier.append(int(k))
    return out


class _PeakRss:
    def __init__(self, every: float = 0.5):
        self.every, self.peak_kb, self._stop = every, 0, threading.Event()

    def watch(self, pid: int) -> None:
        def run():
            while not self._stop.is_set():
                self.peak_kb = max(self.peak_kb, rss_kb(pid))
                self._stop.wait(self.every)

        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


# -- serving --------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_sync(url: str, text: str, timeout: float = 10.0) -> dict:
    req = urllib.request.Request(url.rstrip("/") + "/model/parse",
                                 data=json.dumps({"text": text}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return "intent" in parse_sync(url, "你好", timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return False


class RasaServer:
    """A `rasa run --enable-api` child process. Use as a context manager or call stop()."""

    def __init__(self, port: int | None = None, model: Path | None = None, host: str = "127.0.0.1",
                 log_path: Path | None = None):
        self.port = port or _free_port()
        self.host = host
        self.model = Path(model) if model else None
        self.url = f"http://{host}:{self.port}"
        self.log_path = log_path or LOG_DIR / f"rasa-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180.0) -> "RasaServer":
        model = self.model or latest_model()
        if model is None or not Path(model).exists():
            raise FileNotFoundError("no trained NLU model: run train() / `gridsec nlu train` first")
        self.model = Path(model)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [str(rasa_bin()), "run", "--enable-api", "--model", str(self.model), "--port", str(self.port),
               "--interface", self.host, "--response-timeout", "30"]
        _prune_logs(keep=self.log_path)
        self._log = self.log_path.open("w", encoding="utf-8")
        # Own session (so stop() can signal the whole group), and — when started from the main thread —
        # SIGTERM from the kernel if this process dies without stopping it (a SIGKILLed bot must not
        # leave a 1.4 GB orphan holding the port). PR_SET_PDEATHSIG fires when the *thread* that
        # started the child exits, hence main thread only.
        pdeath = die_with_parent if threading.current_thread() is threading.main_thread() else None
        self.proc = subprocess.Popen(cmd, cwd=PROJECT, env=rasa_env(), stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=pdeath)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise RuntimeError(f"rasa run exited with {self.proc.returncode}; log {self.log_path}:\n{tail}")
            if is_healthy(self.url):
                return self
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"Rasa server not healthy after {timeout:.0f} s; log {self.log_path}")

    def rss_mb(self) -> float:
        return rss_kb(self.proc.pid) / 1024 if self.proc else 0.0

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is not None:
            _terminate(self.proc, timeout)
            self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def __enter__(self) -> "RasaServer":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def die_with_parent() -> None:
    """In a child between fork and exec: SIGTERM when the thread that started it ends (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _prune_logs(keep: Path, n: int = 10) -> None:
    logs = sorted(LOG_DIR.glob("rasa-*.log"), key=lambda q: q.stat().st_mtime, reverse=True)
    for old in [q for q in logs if q != keep][n:]:
        old.unlink(missing_ok=True)


def _terminate(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM to the child's own process group (started with start_new_session), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def start_server(port: int | None = 5005, model: Path | None = None, host: str = "127.0.0.1",
                 timeout: float = 180.0) -> RasaServer:
    """Starts Rasa as a child process and returns once it parses. The caller stops it (.stop())."""
    return RasaServer(port, model, host).start(timeout)


def serve(port: int = 5005, host: str = "127.0.0.1", model: Path | None = None) -> int:
    """`gridsec nlu serve`: trains if needed, serves until Ctrl-C / SIGTERM, stops the child cleanly.
    Call it from the main thread: that is where Python lets it catch SIGTERM."""
    model = model or train()
    stop = threading.Event()
    old = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = RasaServer(port, model, host)
    try:
        server.start()
        print(f"Rasa NLU serving {Path(server.model).name} at {server.url} (log {server.log_path})", file=sys.stderr)
        while not stop.is_set() and server.proc and server.proc.poll() is None:
            stop.wait(1.0)
        return 0 if stop.is_set() else (server.proc.returncode if server.proc else 0)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, old)
        server.stop()


if __name__ == "__main__":  # python -m nlu.server [train|serve] [--force] [--port N]
    import argparse

    ap = argparse.ArgumentParser(prog="python -m nlu.server")
    ap.add_argument("command", choices=["train", "serve", "hash"])
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--port", type=int, default=5005)
    a = ap.parse_args()
    if a.command == "train":
        print(train(force=a.force))
    elif a.command == "hash":
        print(input_hash())
    else:
        sys.exit(serve(a.port))
