#!/usr/bin/env bash
# t_kill9.sh — kill -9 an ingest at random moments, several times, then let the same
# command finish: the store must equal an uninterrupted run's, user by user.
source "$(dirname "$0")/lib.sh"
"$TAMIS" gen --users 3000 --events 150000 --days 90 --seed 11 --bad-lines 30 -o "$T/g" 2>/dev/null
gzip -k "$T/g/events.csv"

tm "$T/ref" import-contacts -q "$T/g/contacts.csv"
tm "$T/ref" ingest -q --batch 4000 "$T/g/events.csv.gz"
dump "$T/ref" "$T/ref.dump"
tm "$T/ref" stats --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events_applied"], d["events_rejected"], d["duplicates_skipped"])' > "$T/ref.counts"

tm "$T/crash" import-contacts -q "$T/g/contacts.csv"
kills=0
for i in $(seq 1 12); do
  "$TAMIS" --data "$T/crash" ingest -q --batch 4000 "$T/g/events.csv.gz" &
  pid=$!
  sleep "0.0$(( (RANDOM % 9) + 1 ))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
done
tm "$T/crash" ingest -q --batch 4000 "$T/g/events.csv.gz"
dump "$T/crash" "$T/crash.dump"
tm "$T/crash" stats --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events_applied"], d["events_rejected"], d["duplicates_skipped"])' > "$T/crash.counts"
echo "killed $kills times"
cmp -s "$T/ref.dump" "$T/crash.dump" || { diff "$T/ref.dump" "$T/crash.dump" | head -3; fail "state differs after kill -9"; }
cmp -s "$T/ref.counts" "$T/crash.counts" || fail "counters differ: $(cat "$T/ref.counts") vs $(cat "$T/crash.counts")"
# the rejects file holds each rejected line exactly once
[ "$(wc -l < "$T/ref/rejects.log")" = "$(wc -l < "$T/crash/rejects.log")" ] || fail "rejects.log differs in length"
cmp -s <(sort "$T/ref/rejects.log") <(sort "$T/crash/rejects.log") || fail "rejects.log differs"
echo ok
