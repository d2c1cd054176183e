#!/usr/bin/env bash
# A browser looks at the partnership report page (issue 10): the built server with the demo
# data on a temporary SQLite file and a free port; Debian's headless `chromium` takes an A4-ish
# screenshot of Rozvodí's report as a reader of the partnership sees it (the page fetched with
# an admin token and opened from a file: a browser sends no bearer token, and the page is
# self-contained: inline CSS and SVG, no JavaScript) and loads the public page over HTTP.
# Checks: the PNG exists and is not trivial, and both DOMs hold what they should (`<svg` in
# the reader's page, none in the public one).
#
# Usage: bash .ci/browser.sh   (needs `chromium`: apt-get install -y chromium; without it the
# script says so and exits 0, or 1 when REQUIRE_BROWSER=1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if ! command -v chromium >/dev/null 2>&1; then
  echo "browser: chromium is not installed (apt-get install -y chromium): skipped"
  [ "${REQUIRE_BROWSER:-0}" = 1 ] && exit 1
  exit 0
fi
for tool in curl python3; do command -v "$tool" >/dev/null 2>&1 || { echo "browser: needs $tool"; exit 1; }; done

cargo build --quiet --bin inclusion
BIN="$ROOT/target/debug/inclusion"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

env -u INCLUSION_JWT_SECRET DATABASE_URL="sqlite://$WORK/browser.db?mode=rwc" INCLUSION_BIND="127.0.0.1:$PORT" RUST_LOG=warn \
  "$BIN" serve --dev --demo >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "browser: the server did not start"; exit 1; }
  sleep 0.2
done

ROZVODI=$(curl -fs "$BASE/api/v1/partnerships?q=rozvodi" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
TOKEN=$(env -u INCLUSION_JWT_SECRET "$BIN" token --role admin 2>/dev/null)
PAGE="$BASE/api/v1/partnerships/$ROZVODI/report"
curl -fs -H "Authorization: Bearer $TOKEN" "$PAGE" -o "$WORK/report.html"

CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run)
mkdir -p target
rm -f target/report.png
"${CHROME[@]}" --screenshot="$ROOT/target/report.png" --window-size=1200,1600 "file://$WORK/report.html" >/dev/null 2>&1
[ -s target/report.png ] || { echo "browser: no screenshot"; exit 1; }
SIZE=$(wc -c < target/report.png)
[ "$SIZE" -gt 20000 ] || { echo "browser: the screenshot is only $SIZE bytes"; exit 1; }
"${CHROME[@]}" --dump-dom "file://$WORK/report.html" 2>/dev/null > "$WORK/reader.dom"
grep -q "<svg" "$WORK/reader.dom" || { echo "browser: the reader's page has no <svg>"; exit 1; }
"${CHROME[@]}" --dump-dom "$PAGE" 2>/dev/null > "$WORK/public.dom"
grep -q "Rozvodí" "$WORK/public.dom" || { echo "browser: the public page did not load"; exit 1; }
if grep -q "<svg" "$WORK/public.dom"; then echo "browser: the public page shows monitoring"; exit 1; fi
echo "browser: ok (target/report.png, $SIZE bytes)"
