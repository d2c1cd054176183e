#!/usr/bin/env bash
# make bench: a release server on a fresh database of realistic volume (1,000 partnerships,
# 15,000 organizations, 15,000 people, 20,000 meetings), driven by wrk from a second process
# over loopback with 32 connections. Prints requests/s, p50 and p99 latency per endpoint, and
# the server's peak RSS. SQLite always; PostgreSQL too when it answers on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PORT="${BENCH_PORT:-18080}"
OUT=bench/out
mkdir -p "$OUT"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)…"
  (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null))
fi
cargo build --release --bin inclusion
BIN=target/release/inclusion

export INCLUSION_JWT_SECRET="bench-secret-bench-secret-bench-secret-01"
export RUST_LOG=warn
TOKEN=$($BIN token --role admin)

run_one() { # label database_url
  local label=$1 url=$2
  echo
  echo "### $label"
  DATABASE_URL="$url" $BIN bench-data >/dev/null
  DATABASE_URL="$url" INCLUSION_BIND="127.0.0.1:$PORT" INCLUSION_DB_POOL=8 INCLUSION_WORKERS=2 $BIN serve >"$OUT/server-$label.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  local base="http://127.0.0.1:$PORT/api/v1"
  local pid_any
  pid_any=$(curl -fs "$base/partnerships?limit=1&status=active" | sed -E 's/.*"id":"([^"]+)".*/\1/;q')
  local list="$base/partnerships?status=active&region=CZ041&sort=name,-updated_at&limit=50"
  local item="$base/partnerships/$pid_any"
  local meetings="$base/partnerships/$pid_any/meetings?sort=-starts_at&limit=50"
  # Warm up, then measure.
  wrk -t2 -c8 -d2s "$list" >/dev/null
  printf '%-34s %12s %10s %10s\n' endpoint "requests/s" p50 p99
  for pair in "partnerships list (filtered, sorted)|$list|" "partnership by id|$item|" "meetings of a partnership|$meetings|auth"; do
    IFS='|' read -r name url auth <<<"$pair"
    local args=(-t2 "-c$CONNECTIONS" "-d$DURATION" --latency)
    [ -n "$auth" ] && args+=(-H "Authorization: Bearer $TOKEN")
    local result
    result=$(wrk "${args[@]}" "$url")
    echo "$result" >"$OUT/wrk-$label-${name// /_}.txt"
    local rps p50 p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
    p50=$(awk '$1=="50%" {print $2}' <<<"$result")
    p99=$(awk '$1=="99%" {print $2}' <<<"$result")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$result")
    printf '%-34s %12s %10s %10s %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:+(non-2xx: $non2xx)}"
  done
  echo "peak RSS of the server: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
  kill $pid; wait $pid 2>/dev/null || true
}

rm -f "$OUT"/bench.db*
run_one sqlite "sqlite://$OUT/bench.db?mode=rwc"

if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  PG_ADMIN="${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/test}"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS inclusion_bench WITH (FORCE)" -qc "CREATE DATABASE inclusion_bench" >/dev/null
  run_one postgresql "${PG_ADMIN%/*}/inclusion_bench"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS inclusion_bench WITH (FORCE)" >/dev/null
fi
