"""The gold build service (常驻构建服务): one long-lived process that keeps a Spark session warm
and runs `govlake gold build` for whoever asks.

Why: the gold DAG runs `govlake gold build` as a new process after every batch, and a new process
starts a cold JVM. At 1 M persons, an incremental build after a 1 % delivery took 131-147 s cold
against 72-84 s in a JVM that had already built (docs/decisions.md, 2026-12-07 (3) and (4)): the
JIT, Spark's code generation, class loading and the Delta snapshots are paid again on every run.

How: `govlake gold serve` (started by `make up` beside the other services, infra/govlake.sh) opens
the Spark session, then listens on a Unix socket in the instance's run directory. `govlake gold
build` connects to it when it is there, sends one JSON request line, and relays the build's output
as it comes; the exit code is the build's. Requests are served one at a time, in the order they
arrive, which is also what keeps two builds from writing the lake at once.

A request carries a fingerprint of the client's settings and of the project's Python code. A
service started with other settings, or before the code changed, refuses the request (it would build
with what it loaded at its start); the client then builds in its own process, as it does when no
service is running, and says why. `make up` restarts a service whose fingerprint is stale.

If the client goes away mid-build (a killed Airflow task), the build still runs to its end in the
service; its output goes on to the service's log. Every build is safe to re-run.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

from govlake.config import ROOT, Settings

SOCKET_NAME = "gold-service.sock"
CODE_DIRS = ("govlake", "jobs")
NOT_RUNNING, STALE, BUSY = 3, 4, 5  # `govlake gold ping` exit codes besides 0 (up and current)


def socket_path(s: Settings) -> Path:
    return Path(s.run) / SOCKET_NAME


def fingerprint(s: Settings, root: Path = ROOT) -> str:
    """The settings and the Python code a build would run with."""
    h = hashlib.sha256()
    for k, v in sorted(s.env().items()):
        h.update(f"{k}={v}\n".encode())
    for d in CODE_DIRS:
        for f in sorted((root / d).rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


# --- client ---------------------------------------------------------------------------------------

def _connect(s: Settings, timeout: float | None) -> socket.socket | None:
    path = socket_path(s)
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except OSError:  # a socket file left by a service that died
        sock.close()
        return None
    return sock


def _messages(sock: socket.socket):
    with sock.makefile("r", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def request(s: Settings, op: str, out=None, timeout: float | None = None, **args) -> dict | None:
    """Send one request; relay its output to `out` (default stdout). Returns the service's last
    message ({"rc": ...}, {"refused": ...} or {"pid": ...} for a ping), {"lost": True} when the
    connection ended without one, or None when no service answers."""
    sock = _connect(s, timeout)
    if sock is None:
        return None
    out = out or sys.stdout
    with sock:
        sock.sendall((json.dumps({"op": op, "fingerprint": fingerprint(s), **args}) + "\n").encode())
        for msg in _messages(sock):
            if "out" in msg:
                out.write(msg["out"])
                out.flush()
            else:
                return msg
    return {"lost": True}


def build(s: Settings, full: bool) -> int | None:
    """Run the build in the service. None: no service, or one that refused (the caller builds itself)."""
    t = time.perf_counter()
    reply = request(s, "build", full=full)
    if reply is None:
        print("[govlake] 未发现常驻构建服务（make up 会启动它），本次在新进程中构建（Spark 冷启动）", flush=True)
        return None
    if "refused" in reply:
        print(f"[govlake] 常驻构建服务拒绝了本次请求：{reply['refused']}；本次在新进程中构建", flush=True)
        return None
    if "lost" in reply:
        print(f"[govlake] 错误：常驻构建服务在构建中断开（{time.perf_counter() - t:.0f}s 后），见其日志 "
              f"{Path(s.logs) / 'gold-service.log'}；重跑 govlake gold build 是安全的", file=sys.stderr, flush=True)
        return 1
    return int(reply["rc"])


def ping(s: Settings, timeout: float = 10) -> int:
    """The service answers between builds only: one that does not answer in `timeout` is building."""
    try:
        reply = request(s, "ping", timeout=timeout)
    except TimeoutError:
        print(f"常驻构建服务正在构建（{timeout:.0f}s 内未应答，构建结束后才会应答）")
        return BUSY
    if reply is None or "lost" in reply:
        print("常驻构建服务未运行")
        return NOT_RUNNING
    if "refused" in reply:
        print(f"常驻构建服务（pid {reply.get('pid')}）已过期：{reply['refused']}")
        return STALE
    print(f"常驻构建服务运行中：pid {reply['pid']}，已完成 {reply['builds']} 次构建，空闲")
    return 0


# --- service --------------------------------------------------------------------------------------

class _Relay(io.TextIOBase):
    """The build's stdout and stderr: to the client while it listens, and to the service's log."""

    def __init__(self, conn: socket.socket, log):
        self.conn, self.log, self.lost, self.lock = conn, log, False, threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text:
            return 0
        with self.lock:  # the build prints from threads
            self.log.write(text)
            if not self.lost:
                try:
                    self.conn.sendall((json.dumps({"out": text}, ensure_ascii=False) + "\n").encode())
                except OSError:
                    self.lost = True  # the client left; the build goes on
        return len(text)

    def flush(self) -> None:
        self.log.flush()


def _send(conn: socket.socket, msg: dict) -> None:
    with contextlib.suppress(OSError):
        conn.sendall((json.dumps(msg, ensure_ascii=False) + "\n").encode())


def serve(s: Settings) -> int:
    """Run the service until SIGTERM or SIGINT. One request at a time."""
    from govlake import lake
    from govlake.spark import get_spark
    from jobs import gold
    path = socket_path(s)
    path.parent.mkdir(parents=True, exist_ok=True)
    if (sock := _connect(s, 5)) is not None:
        sock.close()
        print(f"[govlake] 常驻构建服务已在运行（{path}）", file=sys.stderr)
        return 1
    path.unlink(missing_ok=True)
    mine = fingerprint(s)
    spark = get_spark(s, app="govlake-gold-service")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stopping = threading.Event()

    def stop(signum, _frame):
        stopping.set()
        with contextlib.suppress(OSError):
            srv.shutdown(socket.SHUT_RDWR)  # wakes accept(); a build under way finishes first
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    builds = 0
    try:
        srv.bind(str(path))
        srv.listen(16)
        print(f"[govlake] 常驻构建服务就绪：pid {os.getpid()}，{path}（Spark driver {s.spark_driver_memory}）", flush=True)
        while not stopping.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                break
            with conn:
                conn.settimeout(30)
                try:
                    req = json.loads(conn.makefile("r", encoding="utf-8").readline() or "{}")
                except (OSError, ValueError):
                    continue
                conn.settimeout(None)
                status = {"pid": os.getpid(), "builds": builds}
                if req.get("fingerprint") != mine:
                    _send(conn, {**status, "refused": "它启动后项目代码或配置已改变（make up 会重启它）"})
                    continue
                if req.get("op") == "ping":
                    _send(conn, status)
                    continue
                if req.get("op") != "build":
                    _send(conn, {**status, "refused": f"未知请求 {req.get('op')!r}"})
                    continue
                relay = _Relay(conn, sys.stdout)
                rc = 1
                with contextlib.redirect_stdout(relay), contextlib.redirect_stderr(relay):
                    print(f"[govlake] 由常驻构建服务执行（pid {os.getpid()}，第 {builds + 1} 次构建）", flush=True)
                    try:
                        lake.forget_comments()  # the catalogue is read afresh by every build
                        gold.run(spark, s, full=bool(req.get("full")))
                        rc = 0
                    except Exception:  # noqa: BLE001 - reported to the client; the service stays up
                        traceback.print_exc()
                    finally:
                        spark.catalog.clearCache()
                builds += 1
                _send(conn, {"rc": rc})
                if spark.sparkContext._jsc is None or spark.sparkContext._jsc.sc().isStopped():
                    print("[govlake] Spark 会话已停止，常驻构建服务退出", file=sys.stderr, flush=True)
                    return 1
    finally:
        srv.close()
        path.unlink(missing_ok=True)
        # `make down` signals the JVM too: it may be gone already, which py4j would log as a
        # traceback and PySpark warn about in the service's log.
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.ERROR)
            try:
                spark.stop()
            finally:
                logging.disable(logging.NOTSET)
    print(f"[govlake] 常驻构建服务已停止（共 {builds} 次构建）", flush=True)
    return 0
