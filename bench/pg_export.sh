#!/usr/bin/env bash
# pg_export.sh — the PostgreSQL export benchmark of `make bench` (run after
# bench/ingest.sh, whose 1M-user store it reads; export only reads it).
#
# A fresh PostgreSQL 15 (Debian's postgresql package) in a temporary directory, with
# durable settings — fsync, synchronous_commit and full_page_writes on — and the
# packaged defaults otherwise (shared_buffers 128MB, max_wal_size 1GB), on the same
# cores as tamis. Per round, timed runs of `tamis export --to postgresql://…`:
#   1. first:     into an empty database (every row COPYed straight into tamis_users)
#   2. unchanged: again, nothing changed (fingerprints match: no row sent)
#   3. changed:   after every row's score was changed in the database (every row sent,
#                 compared and updated)
#   4. lean:      every column but platforms, into another empty database
# Wall time, rows/s, peak RSS and CPU seconds of tamis, CPU seconds of its server
# process, the phases tamis reports, and the CPU seconds the rest of the machine used
# meanwhile ("other": the machine's busy time less tamis, its server process and the
# server's background processes — another job on the machine shows there), against
# the target (1M users <= 10 s).
#
# Environment overrides: TAMIS (build/tamis)  OUT (bench/out)  ROUNDS (2)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAMIS=${TAMIS:-$ROOT/build/tamis}
OUT=${OUT:-$ROOT/bench/out}
ROUNDS=${ROUNDS:-2}
STORE=$OUT/store
PGBIN=/usr/lib/postgresql/15/bin
TIME=/usr/bin/time

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$TAMIS" ] || die "$TAMIS is not built (run: make build)"
[ -x "$TIME" ] || die "$TIME is missing (Debian package 'time')"
[ -x "$PGBIN/pg_ctl" ] || die "$PGBIN/pg_ctl is missing (Debian package 'postgresql')"
[ -d "$STORE" ] || die "no store in $STORE: run bench/ingest.sh first (make bench does)"

PGD=$(mktemp -d /tmp/tamis-bench-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGD"
stop() { as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGD"; }
trap stop EXIT
as_pg "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres -E UTF8 --no-locale > "$OUT/pg_initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 3 "$OUT/pg_initdb.log")"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 60 \
    -o "-p $PORT -k $PGD -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null ||
    die "PostgreSQL did not start: $(tail -n 3 "$PGD/log")"
BASE="postgresql://postgres@127.0.0.1:$PORT"
URL="$BASE/postgres"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "${2:-$URL}" -c "$1"; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)
echo
echo "== tamis export --to postgresql:// benchmark"
echo "date      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine   $(nproc) cpu(s), ${cpu:-unknown CPU}, $((mem_kb / 1024)) MiB RAM, $(uname -sr)"
echo "binary    $TAMIS ($("$TAMIS" --version))"
echo "server    $(q "SELECT version()" | cut -d, -f1); fsync=$(q "SHOW fsync"),"\
" synchronous_commit=$(q "SHOW synchronous_commit"), shared_buffers=$(q "SHOW shared_buffers"),"\
" max_wal_size=$(q "SHOW max_wal_size")"

PM=$(head -n 1 "$PGD/data/postmaster.pid")
# busy: CPU seconds the whole machine has been busy (user, nice, system, irq, softirq,
# steal; USER_HZ = 100). pg_background: CPU seconds of the server's processes now (its
# backends come and go; the background writers stay).
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
pg_background() {
    local p t=0
    for p in "$PM" $(pgrep -P "$PM"); do
        t=$(awk -v t="$t" '{ printf "%.2f", t + ($14 + $15) / 100 }' "/proc/$p/stat" 2>/dev/null || echo "$t")
    done
    echo "$t"
}

# backend_cpu FILE: samples the CPU seconds of tamis's server process into FILE until
# the export ends (a backend's counters go with it when it exits: the last sample is
# within 0.2 s of the end).
backend_cpu() {
    local file=$1 pid="" s
    echo 0 > "$file"
    while [ -e "$file.running" ]; do
        [ -n "$pid" ] || pid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'tamis' LIMIT 1" || true)
        if [ -n "$pid" ] && s=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$pid/stat" 2>/dev/null); then
            echo "$s" > "$file"
        fi
        sleep 0.2
    done
}

# run LABEL URL [ARGS...]: one timed export; prints its lines of the table.
run() {
    local label=$1 url=$2 busy0 bg0 other; shift 2
    busy0=$(busy)
    bg0=$(pg_background)
    touch "$OUT/pg_$label.cpu.running"
    backend_cpu "$OUT/pg_$label.cpu" &
    "$TIME" -v -o "$OUT/pg_$label.time" "$TAMIS" --data "$STORE" export --to "$url" "$@" \
        > "$OUT/pg_$label.out" 2> "$OUT/pg_$label.err" || { rm -f "$OUT/pg_$label.cpu.running"; wait;
        die "$label failed: $(tail -n 3 "$OUT/pg_$label.err")"; }
    rm -f "$OUT/pg_$label.cpu.running"
    wait
    other=$(awk -v b0="$busy0" -v b1="$(busy)" -v g0="$bg0" -v g1="$(pg_background)" -v s="$(cat "$OUT/pg_$label.cpu")" \
        '/User time/ { u = $NF } /System time/ { y = $NF } END { printf "%.1f", (b1 - b0) - (g1 - g0) - s - u - y }' \
        "$OUT/pg_$label.time")
    awk -v label="$label" -v summary="$(grep '^export: [0-9]* user' "$OUT/pg_$label.err")" \
        -v phases="$(grep '^export: [0-9]* row' "$OUT/pg_$label.err")" -v server="$(cat "$OUT/pg_$label.cpu")" \
        -v other="$other" '
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /Maximum resident set size/ { kb = $NF }
        /User time/ { u = $NF } /System time/ { s = $NF }
        END {
            split(summary, f, " "); rows = f[2]
            printf "%-12s %6.2f s %7.0f rows/s %4d MiB  cpu: tamis %5.2f s, server %5.2f s, other %4.1f s  %s\n",
                label, w, rows / w, kb / 1024, u + s, server, other, (w <= 10 ? "met" : "NOT met")
            sub(/^export: /, "", summary); sub(/^export: /, "", phases)
            printf "             %s\n             %s\n", summary, phases
        }' "$OUT/pg_$label.time"
}

echo
echo "run            wall        rate  peak RSS"
lean_cols=$("$TAMIS" --data "$STORE" export --tier daily_active 2>/dev/null | head -n 1 | sed 's/,platforms//' || true)
[ -n "$lean_cols" ] || die "could not read the export columns"
for r in $(seq "$ROUNDS"); do
    q "CREATE DATABASE r$r"
    q "CREATE DATABASE lean$r"
    run "first$r" "$BASE/r$r"
    run "unchanged$r" "$BASE/r$r"
    q "UPDATE tamis_users SET score = score + 1000" "$BASE/r$r"
    q "VACUUM tamis_users" "$BASE/r$r"
    run "changed$r" "$BASE/r$r"
    run "lean$r" "$BASE/lean$r" --columns "$lean_cols"
    echo "             table: $(q "SELECT pg_size_pretty(pg_total_relation_size('tamis_users'))" "$BASE/r$r")" \
         "(tamis_users with its index, after the runs)"
    q "DROP DATABASE r$r"
    q "DROP DATABASE lean$r"
done
