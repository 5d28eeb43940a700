#!/usr/bin/env bash
# t_faults.sh — faults on purpose: the store's map fills up mid-ingest (clear error,
# exit 1, nothing half-applied; the same command with room finishes with the state of
# an undisturbed run); a second writer is refused with exit 5 while the first holds
# the data directory; a truncated gzip input fails cleanly.
source "$(dirname "$0")/lib.sh"
"$TAMIS" gen --users 2000 --events 60000 --days 30 --seed 9 --bad-lines 12 -o "$T/g" 2>/dev/null
tm "$T/ref" import-contacts -q "$T/g/contacts.csv"
tm "$T/ref" ingest -q --batch 5000 "$T/g/events.csv"
dump "$T/ref" "$T/ref.dump"

# 1. map full: a 2 MiB map holds the contacts but not all the events
tm "$T/full" import-contacts -q "$T/g/contacts.csv"
set +e
"$TAMIS" --data "$T/full" --map-size 2M ingest -q --batch 5000 "$T/g/events.csv" 2> "$T/full.err"
code=$?
set -e
[ "$code" = 1 ] || { cat "$T/full.err" >&2; fail "map full: exit $code, wanted 1"; }
grep -q "map is full" "$T/full.err" || { cat "$T/full.err" >&2; fail "map full: no clear message"; }
tm "$T/full" stats --format json > /dev/null || fail "store unusable after map full"
tm "$T/full" ingest -q --batch 5000 "$T/g/events.csv"
dump "$T/full" "$T/full.dump"
cmp -s "$T/ref.dump" "$T/full.dump" || fail "state after map-full + resume differs"
cmp -s <(sort "$T/ref/rejects.log") <(sort "$T/full/rejects.log") || fail "rejects after map-full + resume differ"

# 2. a second writer is refused while the first holds the directory
( sleep 3 | "$TAMIS" --data "$T/ref" ingest -q - ) &
holder=$!
sleep 1
expect_exit 5 tm "$T/ref" ingest -q "$T/g/events.csv"
expect_exit 5 tm "$T/ref" stats
wait "$holder"
tm "$T/ref" stats > /dev/null || fail "directory free again"

# 3. bad option values
expect_exit 2 "$TAMIS" --map-size lots stats
expect_exit 2 tm "$T/ref" ingest --batch 0 "$T/g/events.csv"
expect_exit 2 tm "$T/ref" ingest --format xml "$T/g/events.csv"
expect_exit 4 tm "$T/ref" ingest "$T/does-not-exist.csv"

# 4. truncated gzip
gzip -c "$T/g/events.csv" > "$T/whole.gz"; head -c 20000 "$T/whole.gz" > "$T/cut.gz"
expect_exit 1 tm "$T/cut" ingest -q "$T/cut.gz"
echo ok
