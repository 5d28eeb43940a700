#!/usr/bin/env bash
# ingest.sh — the ingest benchmark of `make bench`.
#
# Generates (once) a synthetic data set with `tamis gen` into bench/out/, warms the
# page cache, imports the contacts then ingests the events into a fresh store under
# /usr/bin/time -v, and prints events/s, MB/s (CSV bytes / wall seconds), peak RSS and
# store bytes per user, with the machine it ran on. Builds nothing: it runs build/tamis
# (override with TAMIS=path). The data set is regenerated only when its stamp (sizes,
# seed and a fingerprint of the generator's output) changes.
#
# Environment overrides:
#   USERS (1000000)  EVENTS (10000000)  DAYS (90)  SEED (42)
#   TAMIS (build/tamis)  OUT (bench/out)  FORMAT (csv|ndjson, default csv)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAMIS=${TAMIS:-$ROOT/build/tamis}
OUT=${OUT:-$ROOT/bench/out}
USERS=${USERS:-1000000}
EVENTS=${EVENTS:-10000000}
DAYS=${DAYS:-90}
SEED=${SEED:-42}
FORMAT=${FORMAT:-csv}
TIME=/usr/bin/time

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$TAMIS" ] || die "$TAMIS is not built (run: make build)"
[ -x "$TIME" ] || die "$TIME is missing (Debian package 'time')"
case "$FORMAT" in csv|ndjson) ;; *) die "FORMAT must be csv or ndjson" ;; esac

# ------------------------------------------------------------------ machine

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)
echo "== tamis ingest benchmark"
echo "date     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine  $(nproc) cpu(s), ${cpu:-unknown CPU}, $((mem_kb / 1024)) MiB RAM, $(uname -sr)"
echo "binary   $TAMIS ($("$TAMIS" --version))"
echo "data     $USERS users, $EVENTS events, $DAYS days, seed $SEED, $FORMAT"

# ------------------------------------------------------------------ data set

mkdir -p "$OUT"
contacts=$OUT/contacts.csv
events=$OUT/events.$FORMAT
stampfile=$OUT/stamp.$FORMAT
# A tiny run of the same generator: if the generator changed, so does this.
fingerprint=$("$TAMIS" gen --users 300 --events 3000 --days 7 --seed "$SEED" --format "$FORMAT" -q \
    -o "$OUT/fingerprint" && cat "$OUT/fingerprint"/* | cksum | cut -d' ' -f1)
rm -rf "$OUT/fingerprint"
stamp="users=$USERS events=$EVENTS days=$DAYS seed=$SEED format=$FORMAT gen=$fingerprint"

if [ -f "$contacts" ] && [ -f "$events" ] && [ "$(cat "$stampfile" 2>/dev/null)" = "$stamp" ]; then
    echo "gen      reusing $OUT (stamp matches)"
else
    rm -f "$stampfile"
    echo "gen      generating into $OUT ..."
    "$TIME" -f "%e %M" -o "$OUT/gen.time" \
        "$TAMIS" gen --users "$USERS" --events "$EVENTS" --days "$DAYS" --seed "$SEED" \
        --format "$FORMAT" -o "$OUT"
    read -r gen_s gen_kb < "$OUT/gen.time"
    awk -v e="$EVENTS" -v s="$gen_s" -v k="$gen_kb" \
        'BEGIN { printf "gen      %.2f s, %.2f M events/s, peak RSS %.0f MiB\n", s, (s > 0 ? e / s / 1e6 : 0), k / 1024 }'
    echo "$stamp" > "$stampfile"
fi
contacts_bytes=$(stat -c %s "$contacts")
events_bytes=$(stat -c %s "$events")

# ------------------------------------------------------------------ runs

echo "cache    warming the page cache"
cat "$contacts" "$events" > /dev/null

store=$OUT/store
rm -rf "$store"

# run LABEL CMD...: runs under time -v, prints wall seconds and peak RSS (KiB) as
# "WALL KB" on stdout; the command's own stdout goes to $OUT/LABEL.out.
run() {
    local label=$1; shift
    "$TIME" -v -o "$OUT/$label.time" "$@" > "$OUT/$label.out" || die "$label failed (see $OUT/$label.time)"
    awk '
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /Maximum resident set size/ { kb = $NF }
        END { printf "%s %s\n", w, kb }' "$OUT/$label.time"
}

read -r imp_s imp_kb < <(run import "$TAMIS" --data "$store" import-contacts -q "$contacts")
read -r ing_s ing_kb < <(run ingest "$TAMIS" --data "$store" ingest -q --format-summary json "$events")
"$TAMIS" --data "$store" stats --format json > "$OUT/stats.json"

# Field names as printed by src/cli/cmd_stats.c (one "key": value per line).
json_num() { sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9.]*\).*/\1/p" "$2" | head -n 1; }
users=$(json_num users "$OUT/stats.json")
bytes_on_disk=$(json_num bytes_on_disk "$OUT/stats.json")
used_bytes=$(json_num store_used_bytes "$OUT/stats.json")
accepted=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$OUT/ingest.out")
rejected=$(sed -n 's/.*"rejected":\([0-9]*\).*/\1/p' "$OUT/ingest.out")
duplicates=$(sed -n 's/.*"duplicates":\([0-9]*\).*/\1/p' "$OUT/ingest.out")

# ------------------------------------------------------------------ report

awk -v cb="$contacts_bytes" -v eb="$events_bytes" -v ev="$EVENTS" -v us="$USERS" \
    -v is="$imp_s" -v ik="$imp_kb" -v gs="$ing_s" -v gk="$ing_kb" \
    -v su="${users:-0}" -v sb="${bytes_on_disk:-0}" -v ub="${used_bytes:-0}" \
    -v acc="${accepted:-?}" -v rej="${rejected:-?}" -v dup="${duplicates:-?}" '
BEGIN {
    printf "\n%-18s %12s %12s %12s %12s\n", "step", "wall s", "rows/s", "MB/s", "peak RSS MiB"
    printf "%-18s %12.2f %12.0f %12.1f %12.0f\n", "import-contacts", is, (is > 0 ? us / is : 0),
           (is > 0 ? cb / is / 1e6 : 0), ik / 1024
    printf "%-18s %12.2f %12.0f %12.1f %12.0f\n", "ingest events", gs, (gs > 0 ? ev / gs : 0),
           (gs > 0 ? eb / gs / 1e6 : 0), gk / 1024
    printf "\nevents   %d lines: %s accepted, %s duplicates skipped, %s rejected\n", ev, acc, dup, rej
    printf "input    contacts %.1f MB, events %.1f MB\n", cb / 1e6, eb / 1e6
    printf "store    %d users, %.1f MB on disk, %.0f bytes/user on disk, %.0f bytes/user in use\n",
           su, sb / 1e6, (su > 0 ? sb / su : 0), (su > 0 ? ub / su : 0)
    printf "result   ingest %.0f events/s, %.1f MB/s, peak RSS %.0f MiB; store %.0f bytes/user\n",
           (gs > 0 ? ev / gs : 0), (gs > 0 ? eb / gs / 1e6 : 0), gk / 1024, (su > 0 ? sb / su : 0)
}'
