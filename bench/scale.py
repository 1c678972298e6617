"""Throughput as the number of gunicorn worker processes grows, as a ratio to one worker.

    .venv/bin/python -m bench.scale [--database-url URL] [--seconds 15] [--path /procedures]

Each step starts gunicorn (deploy/gunicorn.conf.py: gthread, 8 threads a worker) with 1, 2, …
up to the number of cores, on one database (PostgreSQL when --database-url names one, else
SQLite) and Redis-shared rate limits, and loads it from as many client processes as workers
(a single Python client would be the bottleneck). The bare Flask "hello" is measured the same
way at each step, so the ratio to it stays comparable. The load generator runs on the same
machine and takes CPU from the servers: on a 2-core machine the ideal 2× is not reachable.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
from contextlib import contextmanager

from bench import load
from bench.servers import ROOT, free_port, prepared_database, wait_up


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int, check_path: str):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile",
         "/dev/null", app_spec],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_up(port, check_path)
        yield port
    finally:
        proc.terminate()
        proc.wait(20)


def _client(args: tuple[int, str, float]) -> tuple[int, int, float]:
    port, path, seconds = args
    result = load.run("client", port, path, requests=10**9, concurrency=8, max_seconds=seconds)
    return result.count, result.errors, result.elapsed_s


def throughput(port: int, path: str, clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second over `clients` processes of 8 connections each, and errors."""
    _client((port, path, 2.0))  # warm-up
    with multiprocessing.Pool(clients) as pool:
        parts = pool.map(_client, [(port, path, seconds)] * clients)
    count = sum(p[0] for p in parts)
    errors = sum(p[1] for p in parts)
    return count / max(p[2] for p in parts), errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--path", default="/procedures/1.001193")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    _, env = prepared_database(args.database_url)
    env = {**env, "PORTAL_PROCESSES": str(cores),
           "PORTAL_RATELIMIT_STORAGE": os.environ.get("PORTAL_RATELIMIT_STORAGE",
                                                      "redis://127.0.0.1:6379/0"),
           "PORTAL_RATELIMIT_PREFIX": "bench-scale"}
    rows = []
    for workers in range(1, cores + 1):
        with gunicorn("bench.baseline:app", {}, workers, "/") as port:
            bare, _ = throughput(port, "/", workers, args.seconds)
        with gunicorn("app:app", env, workers, "/healthz") as port:
            page, errors = throughput(port, args.path, workers, args.seconds)
        rows.append((workers, bare, page, errors))
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"gunicorn gthread ×8 threads, {engine}, {args.path}, {cores} cores, "
          f"{args.seconds:.0f} s per step, clients on the same machine")
    first = rows[0][2]
    for workers, bare, page, errors in rows:
        print(f"{workers} worker(s): page {page:8.1f} req/s (×{page / first:4.2f} of 1 worker, "
              f"{page / bare:5.1%} of bare hello {bare:8.1f} req/s), errors {errors}")


if __name__ == "__main__":
    main()
