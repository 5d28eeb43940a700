#!/usr/bin/env bash
# t_malformed.sh — every kind of malformed record is rejected with file, line and
# reason, written to the rejects file, counted; the rest of the batch is applied;
# --max-errors stops with exit 3 after keeping what was good; over-long lines and
# fields are rejected by the named caps.
source "$(dirname "$0")/lib.sh"
D=$T/data
F=$CASES/events_bad.csv
tm "$D" ingest --format-summary json "$F" > "$T/sum.json" 2>"$T/err.txt"
cat "$T/err.txt" >&2
[ "$(json_field "$T/sum.json" accepted)" = 4 ] || fail "accepted: $(cat "$T/sum.json")"
R=$D/rejects.log
expect_line() { grep -q "^$F:$1: .*$2" "$R" || { cat "$R" >&2; fail "line $1 not rejected with '$2'"; }; }
expect_line 3 "expected 8 fields"
expect_line 4 "not-a-time"
expect_line 5 "2025-11-01T10:00:00"
expect_line 6 "month"
expect_line 7 "unknown kind 'dance'"
expect_line 8 "12abc"
expect_line 9 "missing user"
expect_line 10 "missing user"
expect_line 11 "platform"
expect_line 12 "out of range"
expect_line 18 "quote"
[ "$(json_field "$T/sum.json" rejected)" = "$(wc -l < "$R")" ] || fail "rejected count != rejects lines"
grep -q "unknown column 'colour'" "$T/err.txt" || fail "unknown column warned"
[ "$(grep -c "unknown column" "$T/err.txt")" = 1 ] || fail "warned once"
# multi-line quoted record (lines 16-17) was accepted; the next record is line 18
tm "$D" show --format json u2 | python3 -c '
import json,sys; d=json.load(sys.stdin); n=sum(h["count"] for h in d["activity"]["hours"]); assert n==3, n'

# --max-errors: exit 3, good records before the limit are kept
expect_exit 3 tm "$T/m" ingest -q --max-errors 2 "$F"
tm "$T/m" show --format json u1 >/dev/null || fail "u1 kept despite the limit"

# caps: a 70 KB line and a 2 KB field
python3 - "$T/caps.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("ts,user,kind,platform\n")
    f.write("1761987600,u9,online,app\n")
    f.write("1761987600," + "x" * 70000 + ",online,app\n")
    f.write("1761987600,u9,online," + "p" * 2000 + "\n")
    f.write("1761987601,u9,online,app\n")
PY
tm "$T/c" ingest --format-summary json "$T/caps.csv" > "$T/caps.json" 2>/dev/null
[ "$(json_field "$T/caps.json" accepted)" = 2 ] || fail "caps: accepted"
grep -q "caps.csv:3: record longer than 65536 bytes" "$T/c/rejects.log" || fail "line cap message"
grep -q "caps.csv:4: " "$T/c/rejects.log" || fail "field cap rejected"
[ "$(awk 'length > 2000' "$T/c/rejects.log" | wc -l)" = 0 ] || fail "raw line not cut at 512 bytes"
echo ok
