# lib.sh — shared helpers of the end-to-end tests (sourced, not run).
# Each test gets $TAMIS (the binary, from ctest) and a scratch directory $T that is
# removed on exit. fail() stops the test with a message.
set -euo pipefail
: "${TAMIS:?set TAMIS to the tamis binary}"
SRC=${TAMIS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CASES=$SRC/tests/e2e/cases
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# tm DIR ARGS...: run tamis on data dir DIR
tm() { local d=$1; shift; "$TAMIS" --data "$d" "$@"; }
# json_field FILE KEY: a top-level integer or string field of a JSON object
json_field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$1" "$2"; }
# dump DIR OUT: every user's state, sorted, for comparisons
dump() { tm "$1" show --all | sort > "$2"; }
# expect_exit CODE CMD...: run CMD, check its exit code
expect_exit() {
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  [ "$got" = "$want" ] || fail "expected exit $want, got $got: $*"
}
# serve_start DIR LOG ARGS...: start `tamis serve` on a free port in the background;
# sets $SERVE_PID and $PORT (the server's stderr goes to LOG).
serve_start() {
  local d=$1 log=$2; shift 2
  : > "$log" # exists before the server's shell opens it: the polling below may come first
  "$TAMIS" --data "$d" serve --listen 127.0.0.1:0 "$@" 2> "$log" &
  SERVE_PID=$!
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log")
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited: $(cat "$log")"
    sleep 0.1
  done
  fail "serve did not start: $(cat "$log")"
}
# serve_stop: SIGTERM, and the server must exit 0
serve_stop() {
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || fail "serve exited with $? on SIGTERM"
}
