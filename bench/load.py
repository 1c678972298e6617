"""A small, bounded HTTP load generator for loopback servers (keep-alive, threads).

Every run is bounded both by a request count and by a time limit, and only talks to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]

    @property
    def rps(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def line(self) -> str:
        return (f"{self.name:<28} n={self.count:<6} err={self.errors:<3} "
                f"p50={self.pct(50):7.2f} ms  p95={self.pct(95):7.2f} ms  "
                f"mean={statistics.fmean(self.latencies_ms or [0]):7.2f} ms  "
                f"{self.rps:8.1f} req/s")


def run(name: str, port: int, path: str, *, requests: int = 2000, concurrency: int = 8,
        max_seconds: float = 30.0, headers: dict | None = None,
        host: str = "127.0.0.1") -> Result:
    """GET `path` `requests` times from `concurrency` keep-alive connections."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the load generator only targets loopback")
    result = Result(name)
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.perf_counter() + max_seconds

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            with lock:
                if remaining[0] <= 0 or time.perf_counter() > deadline:
                    break
                remaining[0] -= 1
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip", **(headers or {})})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if ok:
                    result.latencies_ms.append(elapsed)
                else:
                    result.errors += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed_s = time.perf_counter() - began
    return result
