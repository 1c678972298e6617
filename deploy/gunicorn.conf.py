# gunicorn settings for a province server (several processes on one PostgreSQL and Redis).
# Used by deploy/portal-gunicorn.service; see docs/deploy.md. Every value can be overridden
# on the command line. Set PORTAL_PROCESSES in /etc/portal.env to the total number of
# workers across all servers, and PORTAL_RATELIMIT_STORAGE to the shared Redis.
import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:5000")
# Threads serve the many slow 2G clients; processes use the cores.
workers = int(os.environ.get("PORTAL_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("PORTAL_THREADS", "8"))
# nginx buffers request bodies (proxy_request_buffering on) and responses, so a worker
# never waits on a slow client; these only bound what reaches it directly.
timeout = 60
graceful_timeout = 30
keepalive = 5
limit_request_line = 8190
max_requests = 5000  # recycle workers now and then: memory stays flat over weeks
max_requests_jitter = 500
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
