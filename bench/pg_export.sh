#!/usr/bin/env bash
# pg_export.sh — the PostgreSQL export benchmark of `make bench` (run after
# bench/ingest.sh, whose 1M-user store it reads; export only reads it).
#
# A fresh PostgreSQL 15 (Debian's postgresql package) in a temporary directory, with
# durable settings — fsync, synchronous_commit and full_page_writes on — and the
# packaged defaults otherwise (shared_buffers 128MB, max_wal_size 1GB), on the same
# cores as tamis. Timed runs of `tamis export --to postgresql://…`:
#   1. first:     into an empty database (every row inserted)
#   2. unchanged: again, nothing changed (every row compared, none rewritten)
#   3. changed:   after every row's score was changed in the database (every row updated)
#   4. lean:      every column but platforms, into another empty database
# Wall time, rows/s and peak RSS of tamis, against the target (1M users ≤ 10 s).
#
# Environment overrides: TAMIS (build/tamis)  OUT (bench/out)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAMIS=${TAMIS:-$ROOT/build/tamis}
OUT=${OUT:-$ROOT/bench/out}
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
URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
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

# run LABEL URL [ARGS...]: one timed export; prints its line of the table.
run() {
    local label=$1 url=$2; shift 2
    "$TIME" -v -o "$OUT/pg_$label.time" "$TAMIS" --data "$STORE" export --to "$url" "$@" \
        > "$OUT/pg_$label.out" 2> "$OUT/pg_$label.err" || die "$label failed: $(tail -n 3 "$OUT/pg_$label.err")"
    awk -v label="$label" -v summary="$(grep '^export:' "$OUT/pg_$label.err")" '
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /Maximum resident set size/ { kb = $NF }
        END {
            split(summary, f, " "); rows = f[2]
            printf "%-10s %8.2f s %10.0f rows/s %6d MiB  %s\n", label, w, rows / w, kb / 1024, (w <= 10 ? "met" : "NOT met")
            sub(/^export: /, "", summary); printf "           %s\n", summary
        }' "$OUT/pg_$label.time"
}

echo
echo "run            wall          rate   peak RSS  target (<= 10 s)"
run first "$URL"
run unchanged "$URL"
q "UPDATE tamis_users SET score = score + 1000"
q "VACUUM tamis_users"
run changed "$URL"
q "CREATE DATABASE lean"
lean_cols=$("$TAMIS" --data "$STORE" export --tier daily_active 2>/dev/null | head -n 1 | sed 's/,platforms//' || true)
[ -n "$lean_cols" ] || die "could not read the export columns"
run lean "postgresql://postgres@127.0.0.1:$PORT/lean" --columns "$lean_cols"
echo
echo "table     $(q "SELECT pg_size_pretty(pg_total_relation_size('tamis_users'))") (tamis_users with its index)"
