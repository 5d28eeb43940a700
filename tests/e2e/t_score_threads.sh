#!/usr/bin/env bash
# t_score_threads.sh — the score run's threads change nothing but speed: on a data set
# big enough for several chunks per thread (12,000 users; a chunk is 4,096), results
# are byte-identical with 1, 2 and 3 threads, for a full run and for an incremental
# run over thousands of changed users spread across chunks; export (rendered in
# threads) keeps uid order. Also: --threads bounds.
source "$(dirname "$0")/lib.sh"
D=$T/d
AS_OF=2026-11-01T00:00:00Z
"$TAMIS" gen --users 12000 --events 60000 --days 60 --seed 5 -q -o "$T/g"
tm "$D" import-contacts "$T/g/contacts.csv" 2>/dev/null
tm "$D" ingest "$T/g/events.csv" 2>/dev/null

expect_exit 2 tm "$D" score --threads 0
expect_exit 2 tm "$D" score --threads 9
expect_exit 2 tm "$D" score --threads two

tm "$D" score --as-of $AS_OF --threads 1 2>/dev/null
tm "$D" export -o "$T/t1.csv" 2>/dev/null
for n in 2 3; do
    tm "$D" score --as-of $AS_OF --full --threads $n 2>"$T/s$n"
    grep -q "(full: --full)" "$T/s$n" || fail "--full with $n threads: $(cat "$T/s$n")"
    tm "$D" export -o "$T/t$n.csv" 2>/dev/null
    cmp -s "$T/t1.csv" "$T/t$n.csv" || { diff "$T/t1.csv" "$T/t$n.csv" | head -5; fail "$n threads differ from 1"; }
done
# export renders uid ranges of 8,192 in threads: rows still come in uid order (the
# contacts file's order for imported users), each once
tail -n +2 "$T/g/contacts.csv" | cut -d, -f1 > "$T/keys"
awk -F, -v n="$(wc -l < "$T/keys")" 'NR > 1 && NR <= n + 1 { print $1 }' "$T/t1.csv" > "$T/exported"
cmp -s "$T/keys" "$T/exported" || fail "export is not in uid order: $(diff "$T/keys" "$T/exported" | head -3)"
rows=$(($(wc -l < "$T/t1.csv") - 1))
users=$(tm "$D" stats --format json > "$T/st.json"; json_field "$T/st.json" users)
[ "$rows" = "$users" ] || fail "exported $rows of $users users"

# new events for every third user: an incremental run over several chunks of changed
# users must store what a full run computes
awk -F, 'NR > 1 && !seen[$1]++ && (++n % 3) == 0 { print "2026-10-31T09:00:00Z," $1 ",reply" }' \
    "$T/g/contacts.csv" > "$T/more.body"
{ echo "ts,user,kind"; cat "$T/more.body"; } > "$T/more.csv"
changed=$(wc -l < "$T/more.body")
[ "$changed" -gt 3000 ] || fail "only $changed changed users"
tm "$D" ingest "$T/more.csv" 2>/dev/null
tm "$D" score --as-of $AS_OF --threads 2 2>"$T/inc"
grep -q "(incremental: changes)" "$T/inc" || fail "not incremental: $(cat "$T/inc")"
n=$(sed -E 's/^score: ([0-9]+) user.*/\1/' "$T/inc")
[ "$n" -ge "$changed" ] || fail "incremental scored $n users for $changed changed"
tm "$D" export -o "$T/inc.csv" 2>/dev/null
tm "$D" score --as-of $AS_OF --full --threads 1 2>/dev/null
tm "$D" export -o "$T/full.csv" 2>/dev/null
cmp -s "$T/inc.csv" "$T/full.csv" || { diff "$T/inc.csv" "$T/full.csv" | head -5; fail "incremental differs from full"; }
cmp -s "$T/t1.csv" "$T/full.csv" && fail "the new events changed no result"
echo "ok"
