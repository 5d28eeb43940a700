#!/usr/bin/env bash
# t_dashboard.sh — the dashboard of `tamis serve` in headless chromium: builds a small
# sample store (3000 users, two snapshots), makes a read and a write key, starts serve on
# a free port and runs dashboard.mjs (playwright-core) against it, then stops the server.
# Screenshots and the exported file go to $TAMIS_ARTIFACTS, else
# <build dir>/artifacts/browser (kept after the run).
source "$(dirname "$0")/../e2e/lib.sh"
command -v node >/dev/null || fail "node is missing (scripts/deps.sh installs nodejs)"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (scripts/deps.sh installs chromium)"
[ -d "$SRC/node_modules/playwright-core" ] || fail "node_modules/playwright-core is missing: run scripts/deps.sh"
ART=${TAMIS_ARTIFACTS:-${TAMIS_BUILD_DIR:-$SRC/build}/artifacts/browser}
mkdir -p "$ART"

D=$T/d
"$TAMIS" gen --users 3000 --events 60000 --days 60 --seed 11 -q -o "$T/g"
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" ingest -q "$T/g/events.csv"
tm "$D" score -q --as-of 2026-11-01T00:00:00Z
tm "$D" snapshot -q --as-of 2026-10-15T00:00:00Z
tm "$D" snapshot -q --as-of 2026-11-01T00:00:00Z
READ=$(tm "$D" apikey create --scope read --label browser-read 2>/dev/null)
WRITE=$(tm "$D" apikey create --scope write --label browser-write 2>/dev/null)

# --as-of: the sample's clock stops at 2026-11-01 (a live server scores as of now)
serve_start "$D" "$T/serve.err" --threads 2 --as-of 2026-11-01T00:00:00Z
trap 'kill "$SERVE_PID" 2>/dev/null || true; rm -rf "$T"' EXIT
# keys go through the environment, not the command line (ps would show them)
TAMIS_URL="http://127.0.0.1:$PORT" TAMIS_READ_KEY="$READ" TAMIS_WRITE_KEY="$WRITE" TAMIS_ARTIFACTS="$ART" \
  timeout 120 node "$SRC/tests/browser/dashboard.mjs" || fail "dashboard checks (server log: $(tail -5 "$T/serve.err"))"
serve_stop
echo "browser: ok; screenshots in $ART"
