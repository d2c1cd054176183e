#!/usr/bin/env bash
# The contract, checked from outside as an integrator meets it:
#   1. the committed OpenAPI document passes `spectral` (oas ruleset) and `redocly lint`;
#   2. schemathesis drives a real server (debug build, fresh SQLite database, demo data,
#      admin token) with the checks below and must report 0 failures; on PostgreSQL, when
#      one answers, the same run must report 0 server errors;
#   3. clients generated from the document (openapi-typescript + openapi-fetch under
#      `tsc --strict`, and openapi-python-client) read a partnership, a strategic plan with
#      its measures and a fulfilment report from the running server, with no hand-written type.
# Tools are installed under target/contract-tools (a cache between runs on one machine).
#
# Usage: bash .ci/contract.sh [--quick]   (--quick: 60 s of schemathesis instead of 240 s)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS="$ROOT/target/contract-tools"
WORK="$ROOT/target/contract"
MAX_TIME=240
[ "${1:-}" = "--quick" ] && MAX_TIME=60
mkdir -p "$TOOLS" "$WORK"

echo "== contract: tools"
for tool in python3 node npm psql; do
  command -v "$tool" >/dev/null 2>&1 || { [ "$tool" = psql ] || { echo "make contract needs $tool (Python 3 with venv, Node.js with npm)"; exit 1; }; }
done
# Versions pinned: a new major release of a checker must not turn CI red without a change here.
PY_TOOLS="schemathesis==4.32.5 openapi-python-client==0.29.1 ruff==0.17.6 httpx==0.28.1"
NODE_TOOLS="openapi-typescript@7.13.0 typescript@5.9.3 openapi-fetch@0.17.0 tsx@4.23.15 @stoplight/spectral-cli@6.16.3 @redocly/cli@2.77.0"
if [ "$(cat "$TOOLS/py-tools" 2>/dev/null)" != "$PY_TOOLS" ]; then
  rm -rf "$TOOLS/venv"
  python3 -m venv "$TOOLS/venv" || { echo "python3 -m venv failed: install python3-venv"; exit 1; }
  # shellcheck disable=SC2086
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check $PY_TOOLS
  echo "$PY_TOOLS" > "$TOOLS/py-tools"
fi
if [ "$(cat "$TOOLS/node-tools" 2>/dev/null)" != "$NODE_TOOLS" ]; then
  rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
  # shellcheck disable=SC2086
  (cd "$TOOLS/node" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error $NODE_TOOLS)
  echo "$NODE_TOOLS" > "$TOOLS/node-tools"
fi
NODE_BIN="$TOOLS/node/node_modules/.bin"
DOC="$ROOT/openapi/openapi.json"

echo "== contract: lint (spectral oas, redocly)"
cat > "$WORK/.spectral.json" <<'EOF'
{ "extends": [["spectral:oas", "recommended"]] }
EOF
"$NODE_BIN/spectral" lint --ruleset "$WORK/.spectral.json" --fail-severity error "$DOC"
# redocly's `recommended` ruleset; warnings are printed, errors fail the run.
"$NODE_BIN/redocly" lint --format stylish "$DOC"

echo "== contract: server"
cargo build --quiet --bin inclusion
BIN="$ROOT/target/debug/inclusion"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap stop_server EXIT
# A fixed, test-only secret: the server refuses to start without one outside --dev.
export INCLUSION_JWT_SECRET="contract-test-secret-contract-test-secret-0123"
# Rate limiting stays on (a 429 is a documented answer of every operation), raised above
# what one schemathesis worker sends so that the operations behind it are exercised too.
export INCLUSION_RATE_LIMIT_PER_SECOND=2000 INCLUSION_RATE_LIMIT_BURST=4000
start_server() { # $1 = DATABASE_URL
  PORT=$(free_port)
  DATABASE_URL="$1" INCLUSION_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/health/ready', timeout=1)" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not start:"; cat "$WORK/server.log"; return 1
}
TOKEN=$("$BIN" token --role admin --subject contract-check)

# The checks the contract promises; each excluded check says why below.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,unsupported_method
# One worker: with two, hypothesis (inside schemathesis 4.32) sometimes fails on its own lambda
# source cache ("AST constructor recursion depth mismatch"), a runtime error of the tool.
run_schemathesis() { # $1 = checks, $2 = seconds, $3 = report name
  "$TOOLS/venv/bin/schemathesis" --config-file "$ROOT/.ci/schemathesis.toml" run "$DOC" --url "http://127.0.0.1:$PORT" \
    -H "Authorization: Bearer $TOKEN" --checks "$1" --max-time "$2" --max-examples 20 \
    --workers 1 --seed 7 --no-color --output-truncate true \
    --report junit --report-junit-path "$WORK/$3.xml"
}

rm -f "$WORK"/sqlite.db*
start_server "sqlite://$WORK/sqlite.db?mode=rwc"

# Clients first: schemathesis archives and changes the demo data as it goes.
echo "== contract: generated clients"
BASE="http://127.0.0.1:$PORT"
# TypeScript: openapi-typescript types + openapi-fetch, compiled with tsc --strict (no skipLibCheck).
TS="$WORK/ts-client"
rm -rf "$TS" && mkdir -p "$TS"
"$NODE_BIN/openapi-typescript" "$DOC" -o "$TS/schema.d.ts" >/dev/null
ln -sfn "$TOOLS/node/node_modules" "$TS/node_modules"
echo '{"type": "module"}' > "$TS/package.json"
cp "$ROOT/.ci/clients/read.ts" "$TS/read.ts"
(cd "$TS" && "$NODE_BIN/tsc" --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext read.ts schema.d.ts)
(cd "$TS" && BASE="$BASE" TOKEN="$TOKEN" "$NODE_BIN/tsx" read.ts)
# Python: openapi-python-client, whose models parse enums and required fields strictly.
PY="$WORK/py-client"
rm -rf "$PY" && mkdir -p "$PY"
(cd "$PY" && PATH="$TOOLS/venv/bin:$PATH" "$TOOLS/venv/bin/openapi-python-client" generate --path "$DOC" --meta none --output-path inclusion_client >/dev/null)
(cd "$PY" && PYTHONPATH=. BASE="$BASE" TOKEN="$TOKEN" "$TOOLS/venv/bin/python" "$ROOT/.ci/clients/read.py")

echo "== contract: schemathesis on SQLite (${MAX_TIME}s)"
run_schemathesis "$CHECKS" "$MAX_TIME" schemathesis-sqlite

stop_server

pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if pg_answers && command -v psql >/dev/null 2>&1; then
  echo "== contract: schemathesis on PostgreSQL (not_a_server_error, 120s)"
  DB="contract_$$"
  drop_db() { stop_server; psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; }
  trap drop_db EXIT
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  start_server "postgres://postgres@127.0.0.1:5432/$DB"
  status=0
  run_schemathesis not_a_server_error 120 schemathesis-postgres || status=$?
  drop_db
  trap stop_server EXIT
  [ "$status" -eq 0 ] || exit "$status"
else
  echo "== contract: PostgreSQL does not answer (or psql is missing): PostgreSQL run skipped"
fi
echo "== contract: all checks passed"
