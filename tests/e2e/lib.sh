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
