#!/usr/bin/env bash
# bench/instructions.sh PATH [BIN] [DATABASE_URL] — the instructions the server executes per
# request of PATH, counted by valgrind's callgrind: the server runs under callgrind twice (1
# worker), answers 20 and then 220 requests of PATH (one keep-alive curl), and the difference
# over 200 is printed. On a shared or throttled machine req/s move by a third between runs;
# this count moves by well under 1 %, so it tells a change's effect where wrk cannot (it does
# not see SIMD width, cache misses or waiting: confirm with wrk on a quiet machine).
# Needs valgrind (`apt-get install valgrind`), a release build and a database filled by
# `inclusion bench-data`; PATH is requested with an admin token.
# Example: bench/instructions.sh '/api/v1/measures?status=in_progress&overdue=true&sort=deadline&limit=50'
set -euo pipefail
cd "$(dirname "$0")/.."
P=$1
BIN=${2:-${CARGO_TARGET_DIR:-target}/release/inclusion}
URL=${3:-sqlite://bench/out/instructions.db?mode=rwc}
PORT=${BENCH_PORT:-18091}
export INCLUSION_JWT_SECRET="bench-secret-bench-secret-bench-secret-01" RUST_LOG=warn
if [[ $URL == sqlite://bench/out/instructions.db* && ! -f bench/out/instructions.db ]]; then
  mkdir -p bench/out
  DATABASE_URL="$URL" "$BIN" bench-data >/dev/null
fi
TOKEN=$("$BIN" token --role admin)
count() { # requests → instructions of the whole run
  local n=$1 out cfg pid
  out=$(mktemp) cfg=$(mktemp)
  DATABASE_URL="$URL" INCLUSION_BIND="127.0.0.1:$PORT" INCLUSION_WORKERS=1 \
    INCLUSION_RATE_LIMIT_PER_SECOND=1000000 INCLUSION_RATE_LIMIT_BURST=1000000 \
    valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN" serve >/dev/null 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do sleep 0.2; done
  for _ in $(seq "$n"); do printf 'url = "http://127.0.0.1:%s%s"\noutput = /dev/null\n' "$PORT" "$P"; done >"$cfg"
  curl -fs -H "Authorization: Bearer $TOKEN" -K "$cfg"
  kill -TERM $pid
  wait $pid 2>/dev/null || true
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
  rm -f "$out" "$cfg"
}
few=$(count 20)
many=$(count 220)
echo "$(( (many - few) / 200 )) instructions per request of $P"
