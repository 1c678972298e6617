"""Page latency under load, as ratios to a bare Flask "hello" served the same way.

    .venv/bin/python -m bench.pages [--requests 2000] [--concurrency 8] [--database-url URL]
"""

from __future__ import annotations

import argparse

from bench import load
from bench.servers import prepared_database, serve

PAGES = [
    ("home /", "/"),
    ("catalogue /procedures", "/procedures"),
    ("search ?q=khai sinh", "/procedures?q=khai+sinh"),
    ("procedure page", "/procedures/1.001193"),
    ("healthz", "/healthz"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with serve("bench.baseline:app", {}) as port:
        load.run("warm-up", port, "/", requests=200, concurrency=args.concurrency)
        base = load.run("baseline hello", port, "/", requests=args.requests,
                        concurrency=args.concurrency)
    _, env = prepared_database(args.database_url)
    results = []
    with serve("app:app", env, check_path="/healthz") as port:
        for name, path in PAGES:
            load.run("warm-up", port, path, requests=100, concurrency=args.concurrency)
            results.append(load.run(name, port, path, requests=args.requests,
                                    concurrency=args.concurrency))
    print(base.line())
    for r in results:
        print(f"{r.line()}  p50 ×{r.pct(50) / base.pct(50):5.1f}  "
              f"throughput ×{base.rps / r.rps if r.rps else float('inf'):5.1f} slower")


if __name__ == "__main__":
    main()
