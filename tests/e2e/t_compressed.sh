#!/usr/bin/env bash
# t_compressed.sh — zstd, gzip (also multi-member), stdin and NDJSON input give the
# same state as the plain CSV.
source "$(dirname "$0")/lib.sh"
"$TAMIS" gen --users 300 --events 6000 --days 30 --seed 3 -o "$T/g" 2>/dev/null
"$TAMIS" gen --users 300 --events 6000 --days 30 --seed 3 --format ndjson -o "$T/n" 2>/dev/null
E=$T/g/events.csv
zstd -q -k "$E" -o "$T/e.csv.zst"
gzip -c "$E" > "$T/e.csv.gz"
head -3000 "$E" | gzip -c > "$T/multi.gz"; tail -n +3001 "$E" | gzip -c >> "$T/multi.gz"
cp "$T/e.csv.zst" "$T/no-extension"

run() { tm "$T/$1" import-contacts -q "$T/g/contacts.csv"; shift_name=$1; shift; tm "$T/$shift_name" ingest -q "$@"; dump "$T/$shift_name" "$T/$shift_name.dump"; }
run plain "$E"
run zst "$T/e.csv.zst"
run gz "$T/e.csv.gz"
run multi "$T/multi.gz"
run magic "$T/no-extension"
tm "$T/stdin" import-contacts -q "$T/g/contacts.csv"; zstd -dc "$T/e.csv.zst" | tm "$T/stdin" ingest -q -; dump "$T/stdin" "$T/stdin.dump"
run ndjson "$T/n/events.ndjson"
for v in zst gz multi magic stdin ndjson; do
  cmp -s "$T/plain.dump" "$T/$v.dump" || fail "$v differs from plain"
done
# a corrupt compressed file fails cleanly
head -c 2000 "$T/e.csv.zst" > "$T/cut.zst"
expect_exit 1 tm "$T/cut" ingest -q "$T/cut.zst"
echo ok
