#!/usr/bin/env bash
# audiences.sh — the audience benchmarks of `make bench` (#6): `tamis rfm` over 2M
# purchasers (target <= 1 s), and `tamis cross` / `tamis tag-groups` on the same store.
# `tamis gen` makes few purchasers (purchases are ~0.5% of its events), so this script
# writes its own data set with awk: N users (default 2,000,000) in 8 countries with 0-3
# of 8 tags, each with 1-6 purchases of 1-500 over the 365 days before END; it is
# imported and ingested into OUT/audiences-store once (kept for reruns).
# Environment overrides: TAMIS (build/tamis)  OUT (bench/out)  USERS (2000000)
#   END (2026-11-01T00:00:00Z)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAMIS=${TAMIS:-$ROOT/build/tamis}
OUT=${OUT:-$ROOT/bench/out}
USERS=${USERS:-2000000}
END=${END:-2026-11-01T00:00:00Z}
TIME=/usr/bin/time
DATA=$OUT/audiences
store=$DATA/store

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$TAMIS" ] || die "$TAMIS is not built (run: make build)"
[ -x "$TIME" ] || die "$TIME is missing (Debian package 'time')"
mkdir -p "$DATA"

# timed LABEL CMD...: wall seconds and peak RSS (KiB), stdout kept in DATA/LABEL.out
timed() {
    local label=$1; shift
    "$TIME" -f "%e %M" -o "$DATA/$label.time" "$@" > "$DATA/$label.out" 2> "$DATA/$label.err" ||
        die "$label failed: $(tail -n 3 "$DATA/$label.err")"
    cat "$DATA/$label.time"
}

end_s=$(date -u -d "$END" +%s)
if [ ! -f "$DATA/stamp-$USERS" ]; then
    rm -rf "$store" "$DATA"/stamp-*
    echo "writing $USERS users with purchases ..."
    awk -v n="$USERS" -v end="$end_s" 'BEGIN {
        srand(42);
        split("US VN BR IN ID TH DE JP", cc, " ");
        split("vip newsletter b2b b2c wholesale retail loyalty lead", tg, " ");
        print "user,country,tags" > "/dev/stdout";
        print "ts,user,platform,kind,value" > "/dev/stderr";
        for (i = 1; i <= n; i++) {
            u = sprintf("p%08d", i);
            k = int(rand() * 4); t = "";
            for (j = 0; j < k; j++) t = t (j ? ";" : "") tg[1 + int(rand() * rand() * 8)];
            print u "," cc[1 + int(rand() * rand() * 8)] "," t;
            m = 1 + int(rand() * rand() * 6);
            for (j = 0; j < m; j++)
                printf "%d,%s,app,purchase,%.2f\n", end - 1 - int(rand() * 365 * 86400), u,
                       1 + rand() * rand() * 499 > "/dev/stderr";
        }
    }' > "$DATA/contacts.csv" 2> "$DATA/events.csv"
    "$TAMIS" --data "$store" import-contacts "$DATA/contacts.csv" > /dev/null 2>&1 || die "import failed"
    "$TAMIS" --data "$store" ingest "$DATA/events.csv" > /dev/null 2>&1 || die "ingest failed"
    touch "$DATA/stamp-$USERS"
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "== tamis audiences benchmark (rfm, cross, tag-groups)"
echo "date     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine  $(nproc) cpu(s), ${cpu:-unknown CPU}, $(uname -sr)"
echo "data     $USERS users, $(($(wc -l < "$DATA/events.csv") - 1)) purchase events, as of $END"
"$TAMIS" --data "$store" rfm --as-of "$END" > /dev/null # warm the page cache
for i in 1 2 3; do
    read -r s k < <(timed "rfm$i" "$TAMIS" --data "$store" rfm --as-of "$END" --format json)
    echo "rfm run $i:              ${s} s, peak RSS $((k / 1024)) MiB"
done
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("purchasers       ", j["purchasers"], "of", j["users"])' \
    "$DATA/rfm1.out"
read -r s k < <(timed cross "$TAMIS" --data "$store" cross rfm country --as-of "$END" --max-groups 8)
echo "cross rfm country:      ${s} s, peak RSS $((k / 1024)) MiB"
read -r s k < <(timed tags "$TAMIS" --data "$store" tag-groups --min-users 1000 --min-tags 2)
echo "tag-groups:             ${s} s, peak RSS $((k / 1024)) MiB"
