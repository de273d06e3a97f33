#!/usr/bin/env bash
# Checks that PostgreSQL and Redis answer. With --start, starts the local ones that do not.
set -u
start=0
[ "${1:-}" = "--start" ] && start=1

pg_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432)); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}
redis_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

PG_START='pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
REDIS_START='redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'

failed=0
if ! pg_up; then
  if [ $start = 1 ]; then
    echo "Starting PostgreSQL..."
    eval "$PG_START" || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if ! pg_up; then
    echo "PostgreSQL is not reachable on 127.0.0.1:5432. Start it with:" >&2
    echo "    $PG_START" >&2
    failed=1
  fi
fi
if ! redis_up; then
  if [ $start = 1 ]; then
    echo "Starting Redis..."
    eval "$REDIS_START" || true
    for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  fi
  if ! redis_up; then
    echo "Redis is not reachable on 127.0.0.1:6379. Start it with:" >&2
    echo "    $REDIS_START" >&2
    failed=1
  fi
fi
exit $failed
