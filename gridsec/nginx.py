"""Debian's nginx in front of webhook workers on loopback, as docs/deploy/nginx.conf sets it up for
real but without TLS, in a folder of its own: what the several-workers load test and bench/workers.py
put between the stand-in and `gridsec run --workers N`."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path


class NginxMissing(Exception):
    """nginx is not installed (bash scripts/setup.sh installs Debian's nginx-light)."""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise NginxMissing("nginx is missing: bash scripts/setup.sh installs Debian's nginx-light")
    return found


class LocalNginx:
    """nginx on 127.0.0.1:`port` passing `/hook` to the workers on `upstreams`; its access log says
    which worker answered each post."""

    def __init__(self, folder: Path, port: int, upstreams: list[int]) -> None:
        self.folder, self.port, self.binary = folder, port, nginx_binary()
        folder.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in upstreams)
        user = "user root;\n" if os.geteuid() == 0 else ""  # else its workers would run as nobody
        self.config = folder / "nginx.conf"
        self.config.write_text(f"""{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format workers '$upstream_addr $status';
  access_log {folder}/access.log workers;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  upstream gridsec_workers {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    location /hook {{
      proxy_pass http://gridsec_workers;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    }}
  }}
}}
""", encoding="utf-8")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-p", str(self.folder), "-c", str(self.config),
                                      "-e", str(self.folder / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def answered_by(self) -> Counter:
        """Posts answered 200, by the worker that answered (the last one nginx tried)."""
        lines = (self.folder / "access.log").read_text().split("\n")
        return Counter(line.rsplit(" ", 1)[0].split(", ")[-1] for line in lines if line.endswith(" 200"))


def free_ports_from(count: int) -> int:
    """A port with the `count` - 1 after it free too: the workers listen on telegram.webhook.port and up."""
    import socket

    from gridsec.simulate import free_port

    while True:
        port = free_port()
        try:
            for offset in range(1, count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
