#!/usr/bin/env bash
# make bench: a release server on a fresh database of realistic volume, driven by wrk from a
# second process over loopback (2 threads, 32 connections). For each database (SQLite always;
# PostgreSQL too when it answers on 127.0.0.1:5432) it prints:
#   - the time from start to ready on the existing (filled) database;
#   - per endpoint: requests/s, the fraction of the floor (`/health/live`, measured in the same
#     run, so that figures compare across machines), p50, p99 and any non-2xx answers;
#   - a mixed soak (bench/soak.lua: 80 % reads of those endpoints, 20 % writes: creates,
#     PATCHes with If-Match, progress reports): requests/s, p99, errors, and the server's
#     resident memory every 10 s (the curve), its peak, and the end against the 30-second mark;
#   - data exchange: an import of 100,000 organizations from CSV, its re-run, and an export.
# The dataset (`inclusion bench-data`): 1,000 partnerships with 2 territorial units, ~15
# members and 2 working groups each, 15,000 organizations, 15,000 people, 20,000 meetings,
# one plan in force per partnership (a global and 3 specific goals, 20 measures each with an
# indicator, a budget and up to two progress reports: 20,000 measures), the reference
# programmes with 5 calls each, and 1,000 projects along the pipeline.
#
# Knobs: BENCH_EXCHANGE_ONLY=1 (the dataset and the data exchange only), BENCH_DURATION (per endpoint, default 10s), BENCH_SOAK (SQLite soak, default 180s),
# BENCH_SOAK_PG (default 90s, to keep the whole bench within ten minutes), BENCH_CONNECTIONS
# (32), BENCH_PORT (18080), BENCH_ONLY=sqlite|postgresql. The rate limiter stays on, with a quota
# no single load generator reaches (its cost is part of every answer).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${BENCH_DURATION:-10s}"
SOAK="${BENCH_SOAK:-180s}"
SOAK_PG="${BENCH_SOAK_PG:-90s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PORT="${BENCH_PORT:-18080}"
OUT=bench/out
mkdir -p "$OUT"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)…"
  (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null))
fi
cargo build --release --bin inclusion
BIN="${CARGO_TARGET_DIR:-target}/release/inclusion"

export INCLUSION_JWT_SECRET="bench-secret-bench-secret-bench-secret-01"
export RUST_LOG=warn
TOKEN=$($BIN token --role admin)
export BENCH_TOKEN=$TOKEN

json_field() { # file python-expression-on-d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null; }

# wrk's summary → "rps p50 p99 errors" (errors: non-2xx/3xx answers plus socket errors).
summarize() {
  awk '
    /Requests\/sec/ {rps=$2}
    $1=="50%" {p50=$2}
    $1=="99%" {p99=$2}
    /Non-2xx/ {errors+=$5}
    /Socket errors/ {gsub(",", ""); errors+=$4+$6+$8+$10}
    END {printf "%s %s %s %d\n", rps, p50, p99, errors}'
}

run_one() { # label database_url soak_duration
  local label=$1 url=$2 soak=$3
  echo
  echo "### $label"
  local t0 t1
  t0=$(date +%s%N)
  DATABASE_URL="$url" $BIN bench-data >"$OUT/bench-data-$label.log" 2>&1
  t1=$(date +%s%N)
  echo "dataset loaded in $(( (t1 - t0) / 1000000 )) ms"

  t0=$(date +%s%N)
  DATABASE_URL="$url" INCLUSION_BIND="127.0.0.1:$PORT" INCLUSION_DB_POOL=8 INCLUSION_WORKERS=2 \
    INCLUSION_RATE_LIMIT_PER_SECOND=1000000 INCLUSION_RATE_LIMIT_BURST=1000000 $BIN serve >"$OUT/server-$label.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$OUT/server-$label.log"; echo "the server did not start"; return 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  echo "start to ready on the existing database: $(( (t1 - t0) / 1000000 )) ms (includes curl's polling, 5 ms steps)"

  if [ -n "${BENCH_EXCHANGE_ONLY:-}" ]; then
    kill $pid; wait $pid 2>/dev/null || true
    exchange "$label" "$url"
    return
  fi
  local base="http://127.0.0.1:$PORT/api/v1" auth="Authorization: Bearer $TOKEN"
  curl -fs -H "$auth" "$base/partnerships?limit=1&status=active&region=CZ041" -o "$OUT/p.json"
  local partnership plan
  partnership=$(json_field "$OUT/p.json" 'd["items"][0]["id"]')
  curl -fs -H "$auth" "$base/partnerships/$partnership/strategic-plans?status=in_force&limit=1" -o "$OUT/plan.json"
  plan=$(json_field "$OUT/plan.json" 'd["items"][0]["id"]')
  curl -fs -H "$auth" "$base/organizations?limit=500&sort=created_at" -o "$OUT/orgs.json"
  curl -fs -H "$auth" "$base/measures?limit=200&sort=-deadline" -o "$OUT/measures.json"

  local list="/api/v1/partnerships?status=active&region=CZ041&sort=name,-updated_at&limit=50"
  local item="/api/v1/partnerships/$partnership"
  local measures="/api/v1/measures?status=in_progress&overdue=true&sort=deadline&limit=50"
  local fulfilment="/api/v1/strategic-plans/$plan/fulfilment"
  local pipeline="/api/v1/reports/pipeline"
  python3 - "$OUT" "$list" "$item" "$measures" "$fulfilment" "$pipeline" >"$OUT/ids-$label.lua" <<'PY'
import json, sys
out, list_, item, measures, fulfilment, pipeline = sys.argv[1:]
orgs = [o["id"] for o in json.load(open(f"{out}/orgs.json"))["items"]]
ms = [m["id"] for m in json.load(open(f"{out}/measures.json"))["items"]]
q = lambda s: '"' + s + '"'
print("return {")
for k, v in [("list", list_), ("item", item), ("measures", measures), ("fulfilment", fulfilment), ("pipeline", pipeline)]:
    print(f"  {k} = {q(v)},")
print("  organizations = {" + ",".join(map(q, orgs)) + "},")
print("  measures_to_report = {" + ",".join(map(q, ms)) + "},")
print("}")
PY
  export BENCH_IDS="$OUT/ids-$label.lua"

  wrk -t2 -c8 -d2s "http://127.0.0.1:$PORT$list" >/dev/null   # warm up
  printf '%-52s %10s %8s %9s %9s %s\n' endpoint "req/s" "floor" p50 p99 errors
  local floor=""
  for pair in "floor: /health/live|/health/live|" \
              "partnerships, filtered and sorted (50)|$list|" \
              "partnership by id|$item|" \
              "measures: status+overdue, by deadline (50)|$measures|auth" \
              "fulfilment of one plan|$fulfilment|auth" \
              "pipeline report (1,000 projects)|$pipeline|auth"; do
    IFS='|' read -r name path needs_auth <<<"$pair"
    local args=(-t2 "-c$CONNECTIONS" "-d$DURATION" --latency)
    [ -n "$needs_auth" ] && args+=(-H "$auth")
    local result
    result=$(wrk "${args[@]}" "http://127.0.0.1:$PORT$path")
    echo "$result" >"$OUT/wrk-$label-${name//[^A-Za-z0-9]/_}.txt"
    read -r rps p50 p99 errors <<<"$(summarize <<<"$result")"
    [ -z "$floor" ] && floor=$rps
    local share
    share=$(awk -v a="$rps" -v b="$floor" 'BEGIN {printf "%.1f %%", 100*a/b}')
    printf '%-52s %10s %8s %9s %9s %s\n' "$name" "$rps" "$share" "$p50" "$p99" "$errors"
  done

  echo "mixed soak ($soak, $CONNECTIONS connections, 80 % reads / 20 % writes):"
  # The soak's own peak: the high-water mark so far (the endpoints' runs above) is noted, then
  # reset (/proc/PID/clear_refs, as for the data exchange).
  local before_soak
  before_soak=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status)
  echo 5 >"/proc/$pid/clear_refs"
  local curve="$OUT/rss-$label.txt"
  : >"$curve"
  ( local t=0; while kill -0 $pid 2>/dev/null; do sleep 10; t=$((t + 10)); echo "$t $(rss_mb $pid)" >>"$curve"; done ) &
  local sampler=$!
  local result
  result=$(wrk -t2 "-c$CONNECTIONS" "-d$soak" --latency -s bench/soak.lua "http://127.0.0.1:$PORT")
  kill $sampler 2>/dev/null || true
  echo "$result" >"$OUT/wrk-$label-soak.txt"
  read -r rps p50 p99 errors <<<"$(summarize <<<"$result")"
  printf '  %s req/s, p50 %s, p99 %s, errors %s\n' "$rps" "$p50" "$p99" "$errors"
  # The server's own count of answers that were not 2xx, by route and status (its /metrics).
  curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^inclusion_http_requests_total/ && !/status="2/ {print "  not 2xx:", $0}'
  printf '  RSS (MB) every 10 s: %s\n' "$(awk '{printf "%s ", $2}' "$curve")"
  local peak at30 end
  peak=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status)
  at30=$(awk '$1==30 {print $2}' "$curve")
  end=$(tail -n1 "$curve" | awk '{print $2}')
  echo "  peak RSS during the soak ${peak} MB; at 30 s ${at30:-?} MB, at the end ${end:-?} MB ($(awk -v a="${end:-0}" -v b="${at30:-0}" 'BEGIN {if (b>0) printf "%+.1f %%", 100*(a-b)/b; else print "?"}') against the 30-second mark)"
  echo "  at the end: $(awk '/^Rss/ {r=$2} /^Anonymous/ {a=$2} END {printf "%.1f MB anonymous (heap, SQLite caches), %.1f MB mapped from files (mostly the binary'"'"'s code; also libraries and SQLite'"'"'s -shm)", a/1024, (r-a)/1024}' /proc/$pid/smaps_rollup); peak before the soak (start, warm-up, the endpoints' runs) ${before_soak} MB"

  kill $pid; wait $pid 2>/dev/null || true
  exchange "$label" "$url"
}

# Data exchange (issue 8): 100,000 organizations imported from CSV through the API (validation,
# the create use case's checks, audit entries; batches of 256 rows, one transaction), the same
# file again (every row unchanged), and the export of every organization as CSV; rows/s and the
# server's RSS: its peak during that step (the peak is reset before each: /proc/PID/clear_refs),
# and after it. On a server started afresh for it on the filled database, so that the peaks are
# the exchange's own, not the soak's.
exchange() { # label database_url
  local label=$1 url=$2 csv="$OUT/organizations-100k.csv" base="http://127.0.0.1:$PORT/api/v1"
  DATABASE_URL="$url" INCLUSION_BIND="127.0.0.1:$PORT" INCLUSION_DB_POOL=8 INCLUSION_WORKERS=2 \
    INCLUSION_RATE_LIMIT_PER_SECOND=1000000 INCLUSION_RATE_LIMIT_BURST=1000000 $BIN serve >"$OUT/server-exchange-$label.log" 2>&1 &
  local pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$OUT/server-exchange-$label.log"; echo "the server did not start"; return 1; }
    sleep 0.05
  done
  echo "data exchange: server started afresh, RSS $(rss_mb $pid) MB"
  [ -f "$csv" ] || python3 -c '
import sys
kinds = ["ngo", "school", "business", "church", "municipality"]
with open(sys.argv[1], "w") as f:
    f.write("external_ref,name,kind,ico,web\n")
    for i in range(100000):
        f.write(f"BENCH-{i:06d},Organizace pro srovnání {i},{kinds[i % 5]},,https://org{i}.example.cz\n")
' "$csv"
  echo "data exchange (100,000 organizations, CSV):"
  local step t0 t1 report
  for step in import re-import; do
    echo 5 >"/proc/$pid/clear_refs"
    t0=$(date +%s%N)
    report=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" --data-binary "@$csv" "$base/imports/organizations?mode=atomic")
    t1=$(date +%s%N)
    printf '  %-10s %8.0f rows/s  %s  RSS peak during it %s MB, after %s MB\n' "$step" "$(awk -v n=100000 -v ns=$((t1 - t0)) 'BEGIN {print n / (ns / 1e9)}')" \
      "$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, failed %(failed)s" % r)' "$report")" \
      "$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status)" "$(rss_mb $pid)"
  done
  echo 5 >"/proc/$pid/clear_refs"
  t0=$(date +%s%N)
  local rows
  rows=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$base/exports/organizations?format=csv" | wc -l)
  t1=$(date +%s%N)
  printf '  %-10s %8.0f rows/s  %s rows  RSS peak during it %s MB, after %s MB\n' export "$(awk -v n=$((rows - 1)) -v ns=$((t1 - t0)) 'BEGIN {print n / (ns / 1e9)}')" "$((rows - 1))" \
    "$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status)" "$(rss_mb $pid)"
  kill $pid; wait $pid 2>/dev/null || true
}

if [ "${BENCH_ONLY:-}" != postgresql ]; then
  rm -f "$OUT"/bench.db*
  run_one sqlite "sqlite://$OUT/bench.db?mode=rwc" "$SOAK"
fi

if [ "${BENCH_ONLY:-}" != sqlite ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  PG_ADMIN="${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/test}"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS inclusion_bench WITH (FORCE)" -qc "CREATE DATABASE inclusion_bench" >/dev/null
  # Over PostgreSQL's Unix socket when it is on this host: sqlx 0.9 does not set TCP_NODELAY, and
  # over TCP a statement larger than the socket's buffer (a batch's INSERT) waits out the server's
  # delayed ACK (~40 ms). README's PostgreSQL section says the same to deployments.
  local_socket=/var/run/postgresql
  if [ -z "${BENCH_PG_ADMIN:-}" ] && [ -S "$local_socket/.s.PGSQL.5432" ]; then
    run_one postgresql "postgres://postgres@localhost/inclusion_bench?host=$local_socket" "$SOAK_PG"
  else
    run_one postgresql "${PG_ADMIN%/*}/inclusion_bench" "$SOAK_PG"
  fi
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS inclusion_bench WITH (FORCE)" >/dev/null
fi
