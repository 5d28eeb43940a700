#!/usr/bin/env bash
# review.sh — the review-over-time benchmarks of `make bench` (#4), on the store
# bench/ingest.sh built from the 1M-user data set:
#   - snapshot of every user for two dates (target <= 2 s each), bytes per user per day;
#   - transitions between the two snapshots (target <= 0.5 s);
#   - backtest over every user (target <= 5 s), and its table;
#   - cooling alerts;
#   - cooling recall / precision and the backtest AUCs against the generator's truth
#     (bench/truth_eval.py: 12 weekly dates, a score + export + cooling run each).
# Environment overrides: TAMIS (build/tamis)  OUT (bench/out)  END (2026-11-01)  DAYS (90)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAMIS=${TAMIS:-$ROOT/build/tamis}
OUT=${OUT:-$ROOT/bench/out}
END=${END:-2026-11-01}
DAYS=${DAYS:-90}
TIME=/usr/bin/time
store=$OUT/store

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$TAMIS" ] || die "$TAMIS is not built (run: make build)"
[ -d "$store" ] && [ -f "$OUT/truth.csv" ] || die "no data set in $OUT: run bench/ingest.sh first (make bench does)"

# timed LABEL CMD...: wall seconds and peak RSS (KiB) of CMD, its stdout kept in OUT/LABEL.out
timed() {
    local label=$1; shift
    "$TIME" -f "%e %M" -o "$OUT/$label.time" "$@" > "$OUT/$label.out" 2> "$OUT/$label.err" ||
        die "$label failed: $(tail -n 3 "$OUT/$label.err")"
    cat "$OUT/$label.time"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "== tamis review benchmark (snapshots, transitions, cooling, backtest)"
echo "date     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine  $(nproc) cpu(s), ${cpu:-unknown CPU}, $(uname -sr)"
d1=$(date -u -d "$END - 14 days" +%Y-%m-%d)
read -r s1 k1 < <(timed snap1 "$TAMIS" --data "$store" snapshot --as-of "$d1")
read -r s2 k2 < <(timed snap2 "$TAMIS" --data "$store" snapshot --as-of "$END")
read -r st kt < <(timed trans "$TAMIS" --data "$store" transitions --from "$d1" --to "$END")
read -r sb kb < <(timed backtest "$TAMIS" --data "$store" backtest --as-of "$d1" --horizon 14d --outcome reply)
read -r sc kc < <(timed cooling "$TAMIS" --data "$store" cooling --as-of "$END" --limit 10)
per=$(sed -n 's/.*(\([0-9.]*\) bytes\/user)$/\1/p' "$OUT/snap2.err")
users=$(sed -n 's/.*: \([0-9]*\) user(s),.*/\1/p' "$OUT/snap2.err")
awk -v s1="$s1" -v k1="$k1" -v s2="$s2" -v k2="$k2" -v st="$st" -v kt="$kt" -v sb="$sb" -v kb="$kb" \
    -v sc="$sc" -v kc="$kc" -v per="$per" -v users="$users" '
function verdict(s, t) { return s <= t ? "met" : "NOT met" }
BEGIN {
    printf "\n%-36s %8s %12s %8s\n", "step (" users " users)", "wall s", "peak RSS MiB", "target"
    printf "%-36s %8.2f %12.0f %8s\n", "snapshot (first date)", s1, k1 / 1024, verdict(s1, 2)
    printf "%-36s %8.2f %12.0f %8s\n", "snapshot (second date)", s2, k2 / 1024, verdict(s2, 2)
    printf "%-36s %8.2f %12.0f %8s\n", "transitions between them", st, kt / 1024, verdict(st, 0.5)
    printf "%-36s %8.2f %12.0f %8s\n", "backtest (reply, 14 days)", sb, kb / 1024, verdict(sb, 5)
    printf "%-36s %8.2f %12.0f %8s\n", "cooling", sc, kc / 1024, "-"
    printf "snapshot %.2f bytes per user per day: a year of 1M users is %.2f GB\n", per, per * 365 * 1e6 / 1e9
}'
echo
sed -n 1,12p "$OUT/trans.out"
echo
cat "$OUT/backtest.out"
echo
python3 "$ROOT/bench/truth_eval.py" "$TAMIS" "$store" "$OUT/truth.csv" "$END" "$DAYS" --json "$OUT/truth_eval.json" || true
