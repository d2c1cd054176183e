#!/usr/bin/env bash
# A real browser reads the reports (issue 10): the built server with the demo data
# (`serve --dev --demo`) on a temporary SQLite file and a free port; Debian's headless
# `chromium` loads Rozvodí's partnership report over HTTP through a signed link
# (POST /api/v1/links: a browser sends no bearer token), in Czech and in English, and:
# - the page rendered its charts (an <svg> with its <title>, in the DOM chromium built);
# - the browser logged no console message (chromium logs them as `INFO:CONSOLE:…` with
#   --enable-logging=stderr; a page without JavaScript has none);
# - the fulfilment figures on the page (total, completed, overdue, unreported, completed share)
#   equal those of the JSON report GET /strategic-plans/{id}/fulfilment?as_of= of the same day;
# - an altered link is refused (401) and the public page, without a link, shows no monitoring;
# and saves screenshots: target/report-cs.png, target/report-en.png.
#
# Usage: bash .ci/browser.sh   (needs `chromium`: apt-get install -y chromium; without it the
# script says so and exits 0, or 1 when REQUIRE_BROWSER=1). INCLUSION_BIN=path uses that
# binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if ! command -v chromium >/dev/null 2>&1; then
  echo "browser: chromium is not installed (apt-get install -y chromium): skipped"
  [ "${REQUIRE_BROWSER:-0}" = 1 ] && exit 1
  exit 0
fi
for tool in curl python3; do command -v "$tool" >/dev/null 2>&1 || { echo "browser: needs $tool"; exit 1; }; done

if [ -z "${INCLUSION_BIN:-}" ]; then
  cargo build --quiet --bin inclusion
  INCLUSION_BIN="$ROOT/target/debug/inclusion"
fi
BIN="$INCLUSION_BIN"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "browser: $*"; exit 1; }

env -u INCLUSION_JWT_SECRET DATABASE_URL="sqlite://$WORK/browser.db?mode=rwc" INCLUSION_BIND="127.0.0.1:$PORT" RUST_LOG=warn \
  "$BIN" serve --dev --demo >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do
  curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; fail "the server did not start"; }
  sleep 0.2
done

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
TOKEN=$(env -u INCLUSION_JWT_SECRET "$BIN" token --role admin 2>/dev/null)
AUTH=(-H "Authorization: Bearer $TOKEN")
ROZVODI=$(curl -fs "$BASE/api/v1/partnerships?q=rozvodi" | json 'd["items"][0]["id"]')
PLAN=$(curl -fs "${AUTH[@]}" "$BASE/api/v1/partnerships/$ROZVODI/strategic-plans" | json 'd["items"][0]["id"]')
TODAY=$(date -u +%F)
curl -fs "${AUTH[@]}" "$BASE/api/v1/strategic-plans/$PLAN/fulfilment?as_of=$TODAY" -o "$WORK/fulfilment.json"

CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
  --user-data-dir="$WORK/profile" --enable-logging=stderr --v=0)
mkdir -p target
for LANG_CODE in cs en; do
  LINK=$(curl -fs "${AUTH[@]}" -H 'Content-Type: application/json' \
    -d "{\"path\": \"/api/v1/partnerships/$ROZVODI/report?lang=$LANG_CODE&as_of=$TODAY\", \"ttl_seconds\": 300}" \
    "$BASE/api/v1/links" | json 'd["url"]')
  case "$LINK" in "$BASE"/api/v1/partnerships/*"&exp="*"&sig="*) ;; *) fail "unexpected link $LINK" ;; esac

  "${CHROME[@]}" --dump-dom "$LINK" >"$WORK/$LANG_CODE.dom" 2>"$WORK/$LANG_CODE.log" || fail "chromium failed on the $LANG_CODE page"
  if grep -Ei "Uncaught|:CONSOLE[:(]" "$WORK/$LANG_CODE.log"; then fail "console errors on the $LANG_CODE page"; fi
  grep -q "<html lang=\"$LANG_CODE\"" "$WORK/$LANG_CODE.dom" || fail "the $LANG_CODE page is not in $LANG_CODE"
  grep -q "<svg" "$WORK/$LANG_CODE.dom" || fail "the $LANG_CODE page has no <svg> (its link did not open the reader's view)"
  grep -q "<title id=\"t\">" "$WORK/$LANG_CODE.dom" || fail "the $LANG_CODE chart has no <title>"
  python3 - "$WORK/$LANG_CODE.dom" "$WORK/fulfilment.json" "$LANG_CODE" <<'PY' || fail "the $LANG_CODE page's figures differ from the JSON report"
import json, re, sys
dom, report, lang = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2])), sys.argv[3]
def figure(name):
    m = re.search(r'data-name="%s">([^<]*)<' % re.escape(name), dom)
    if not m:
        sys.exit(f"{lang}: no figure {name}")
    text = m.group(1).strip()
    return None if text == "–" else float(text.rstrip(" %").replace(",", "."))
for key in ["total", "completed", "overdue", "unreported"]:
    if figure(key) != report["counts"][key]:
        sys.exit(f"{lang}: {key} {figure(key)} on the page, {report['counts'][key]} in the JSON")
if figure("share_completed") != report["share_completed"]:
    sys.exit(f"{lang}: share_completed {figure('share_completed')} on the page, {report['share_completed']} in the JSON")
for g in report["goals"]:
    if figure("goal:" + g["code"]) != g["share_completed"]:
        sys.exit(f"{lang}: goal {g['code']} differs")
print(f"browser: {lang}: figures equal the JSON report ({report['counts']['total']} measures, {report['counts']['overdue']} overdue)")
PY

  rm -f "target/report-$LANG_CODE.png"
  "${CHROME[@]}" --screenshot="$ROOT/target/report-$LANG_CODE.png" --window-size=1000,2200 "$LINK" >/dev/null 2>>"$WORK/$LANG_CODE.log"
  [ -s "target/report-$LANG_CODE.png" ] || fail "no screenshot of the $LANG_CODE page"
  SIZE=$(wc -c < "target/report-$LANG_CODE.png")
  [ "$SIZE" -gt 20000 ] || fail "the $LANG_CODE screenshot is only $SIZE bytes"
  echo "browser: $LANG_CODE: charts rendered, no console errors, target/report-$LANG_CODE.png ($SIZE bytes)"
done

# An altered link: refused with a problem, and the browser shows no report.
ALTERED="${LINK%?}x"
STATUS=$(curl -s -o "$WORK/altered.json" -w '%{http_code}' "$ALTERED")
[ "$STATUS" = 401 ] || fail "an altered link answered $STATUS"
grep -q '"status":401' "$WORK/altered.json" || fail "an altered link's answer is not a problem"
# The public page (no token, no link): the public parts only.
"${CHROME[@]}" --dump-dom "$BASE/api/v1/partnerships/$ROZVODI/report" 2>/dev/null >"$WORK/public.dom"
grep -q "Rozvodí" "$WORK/public.dom" || fail "the public page did not load"
if grep -q "<svg" "$WORK/public.dom"; then fail "the public page shows monitoring"; fi
echo "browser: ok"
