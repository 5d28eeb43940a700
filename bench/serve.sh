#!/usr/bin/env bash
# serve.sh — the HTTP benchmarks of `make bench` (#5): wrk on loopback against
# `tamis serve` over a copy of the 1M-user store bench/ingest.sh built:
#   1. GET /v1/users/{key} over random keys (target >= 30k req/s, p99 <= 5 ms);
#   2. POST /v1/events in batches of 1,000 new events (target >= 200k events/s);
#   3. both at once: the reads while a background ingest posts.
# The server rescores changed users continuously meanwhile (as in production).
# Environment overrides: TAMIS (build/tamis)  OUT (bench/out)  END (2026-11-01)
#   DUR (seconds per phase, 15)  CONNS (GET connections, 32)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAMIS=${TAMIS:-$ROOT/build/tamis}
OUT=${OUT:-$ROOT/bench/out}
END=${END:-2026-11-01}
DUR=${DUR:-15}
CONNS=${CONNS:-32}
HERE=$ROOT/bench/serve
store=$OUT/store
copy=$OUT/serve-store

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$TAMIS" ] || die "$TAMIS is not built (run: make build)"
command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh installs it)"
[ -d "$store" ] || die "no store in $OUT: run bench/ingest.sh first (make bench does)"

# the generator's contacts are u0000001..uN (the store also holds placeholder users)
users=$(($(wc -l < "$OUT/contacts.csv") - 1))
rm -rf "$copy"
cp -a "$store" "$copy"
READ=$("$TAMIS" --data "$copy" apikey create --scope read --label bench 2>/dev/null)
WRITE=$("$TAMIS" --data "$copy" apikey create --scope write --label bench 2>/dev/null)
# Bodies for two ingest phases: enough for 300k events/s, each phase its own.
n=$((DUR * 300))
python3 "$HERE/make_batches.py" "$OUT/batches-a.ndjson" "$users" "$n" 1000 "$END" 30 11
python3 "$HERE/make_batches.py" "$OUT/batches-b.ndjson" "$users" "$n" 1000 "$END" 30 12

: > "$OUT/serve.err" # exists before the server's shell opens it: the polling below may come first
"$TAMIS" --data "$copy" serve --listen 127.0.0.1:0 --as-of "${END}T00:00:00Z" 2> "$OUT/serve.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 600); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$OUT/serve.err")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || die "serve did not start: $(cat "$OUT/serve.err")"
url=http://127.0.0.1:$port
# wait for the start-up rescoring (nothing changed: quick) to settle
sleep 2

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "== tamis serve benchmark (wrk on loopback, $users users)"
echo "date     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine  $(nproc) cpu(s), ${cpu:-unknown CPU}, $(uname -sr)"

# rps FILE / p99 FILE: from wrk's report
rps() { sed -n 's/^Requests\/sec:[[:space:]]*//p' "$1"; }
p99() { sed -n 's/^[[:space:]]*99%[[:space:]]*//p' "$1"; }

get() { TAMIS_KEY=$READ USERS=$users wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$HERE/get_user.lua" "$url" > "$1"; }
post() { TAMIS_KEY=$WRITE BATCHES=$2 WRK_THREADS=1 wrk -t1 -c16 -d"${DUR}s" --latency -s "$HERE/post_events.lua" "$url/v1/events" > "$1"; }

get "$OUT/wrk-get.txt"
printf "GET /v1/users/{key}            %8.0f req/s   p99 %s   (target >= 30000 req/s, p99 <= 5 ms)\n" \
    "$(rps "$OUT/wrk-get.txt")" "$(p99 "$OUT/wrk-get.txt")"
post "$OUT/wrk-post.txt" "$OUT/batches-a.ndjson"
printf "POST /v1/events (1,000/batch)  %8.0f events/s   p99 %s   (target >= 200000 events/s)\n" \
    "$(python3 -c "print($(rps "$OUT/wrk-post.txt") * 1000)")" "$(p99 "$OUT/wrk-post.txt")"
post "$OUT/wrk-post-bg.txt" "$OUT/batches-b.ndjson" &
bg=$!
get "$OUT/wrk-get-bg.txt"
wait "$bg"
printf "GET while posting              %8.0f req/s   p99 %s\n" "$(rps "$OUT/wrk-get-bg.txt")" "$(p99 "$OUT/wrk-get-bg.txt")"
printf "POST while reading             %8.0f events/s   p99 %s\n" \
    "$(python3 -c "print($(rps "$OUT/wrk-post-bg.txt") * 1000)")" "$(p99 "$OUT/wrk-post-bg.txt")"
curl -s -H "Authorization: Bearer $READ" "$url/metrics" |
    grep -E '^tamis_(events_total|scoring_lag_seconds|score_runs_total|users_rescored_total|score_run_seconds)' |
    sed 's/^/metrics  /'
kill -TERM "$pid"
wait "$pid"
trap - EXIT
rm -rf "$copy" "$OUT/batches-a.ndjson" "$OUT/batches-b.ndjson"
