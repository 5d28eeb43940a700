#!/usr/bin/env bash
# t_snapshots.sh — daily snapshots and transitions: a snapshot of a past date, taken
# after later events arrived, is byte for byte the snapshot taken on that date; the
# snapshot agrees with `tamis score` for the same time; a snapshot lists its users; transitions add up and list
# who moved; retention drops old snapshots; erasure reaches every snapshot.
source "$(dirname "$0")/lib.sh"
"$TAMIS" gen --users 3000 --events 60000 --days 100 --seed 11 -q -o "$T/g"
CUT=$(date -u -d 2026-10-01T00:00:00Z +%s)

# A: on 2026-10-01, only the events before it had arrived
A=$T/a
python3 - "$T/g/events.csv" "$CUT" > "$T/before.csv" <<'PY'
import sys
from datetime import datetime
def secs(ts):  # the forms tamis gen writes: unix s, ms, s.fff, ISO-8601 with a zone
    if ts.replace(".", "", 1).isdigit():
        v = float(ts)
        return v / 1000 if v >= 1e11 else v
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
cut = int(sys.argv[2])
with open(sys.argv[1], newline="") as f:
    lines = f.read().splitlines(keepends=True)
sys.stdout.write(lines[0])
for line in lines[1:]:
    if secs(line.split(",", 1)[0]) < cut:
        sys.stdout.write(line)
PY
tm "$A" import-contacts -q "$T/g/contacts.csv"
tm "$A" ingest -q "$T/before.csv"
tm "$A" snapshot -q --as-of 2026-10-01

# B: everything arrived, then the same date is snapshotted in the past
B=$T/b
tm "$B" import-contacts -q "$T/g/contacts.csv"
tm "$B" ingest -q "$T/g/events.csv"
tm "$B" snapshot -q --as-of 2026-10-01
tm "$B" snapshot -q --as-of 2026-10-15
tm "$B" snapshot 2>"$T/s.err" --as-of 2026-11-01
grep -q "^snapshot: 2026-11-01 (as of 2026-11-01T00:00:00Z): [0-9]* user(s), [0-9]* bytes" "$T/s.err" \
    || fail "snapshot summary: $(cat "$T/s.err")"

# every user's entry is the same (listed by user key: placeholder users created by
# events get their uids in arrival order, which the later events change)
tm "$A" snapshots --date 2026-10-01 | sort > "$T/a.users"
tm "$B" snapshots --date 2026-10-01 | sort > "$T/b.users"
[ "$(wc -l < "$T/a.users")" -gt 3000 ] || fail "snapshot lists $(wc -l < "$T/a.users") lines"
cmp -s "$T/a.users" "$T/b.users" || { diff "$T/a.users" "$T/b.users" | head -5; fail "the past snapshot differs from the one taken that day"; }
grep -q "^user,tier,trend,score,continuity,depth,profile,interaction,rhythm,reachability,risk,country,platforms$" "$T/a.users" \
    || fail "snapshots --date header"
tm "$B" snapshots --date 2026-10-01 --format ndjson | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line); n += 1
    assert r["tier"] in ("unreachable","risky","daily_active","high_interaction","occasional","silent","dormant"), r
    assert 0 <= r["score"] <= 100 and isinstance(r["platforms"], list), r
assert n > 3000' || fail "snapshots --date ndjson"
expect_exit 4 tm "$B" snapshots --date 2026-09-01

# the snapshot's tiers are the score's tiers as of the same time
tm "$B" score -q --as-of 2026-11-01
tm "$B" tiers --format csv | awk -F, 'NR > 1 { print $2 "," $3 }' > "$T/score.tiers"
tm "$B" snapshots --format csv > "$T/list.csv"
[ "$(wc -l < "$T/list.csv")" = 4 ] || fail "snapshots: $(cat "$T/list.csv")"
python3 - "$T/list.csv" "$T/score.tiers" <<'PY' || fail "snapshot tiers differ from score tiers"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["date"] for r in rows] == ["2026-10-01", "2026-10-15", "2026-11-01"], rows
last = rows[-1]
want = dict(line.strip().split(",") for line in open(sys.argv[2]))
for tier, n in want.items():
    assert last[tier] == n, (tier, last[tier], n)
assert float(last["bytes_per_user"]) < 16, last
PY

# transitions: rows add up to the first day's users; --moved lists exactly the counts
tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --format json > "$T/m.json"
python3 - "$T/m.json" "$T/list.csv" <<'PY' || fail "transition matrix"
import csv, json, sys
m = json.load(open(sys.argv[1]))
rows = {r["date"]: r for r in csv.DictReader(open(sys.argv[2]))}
g = m["groups"][0]["matrix"]
first = sum(c["users"] for f, row in g.items() if f != "new" for c in row.values())
assert first == int(rows["2026-10-01"]["users"]), first
for f, row in g.items():
    total = sum(c["users"] for c in row.values())
    if total:
        assert abs(sum(c["share"] for c in row.values()) - 1) < 1e-9, f
print(g["daily_active"]["silent"]["users"])
PY
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["groups"][0]["matrix"]["daily_active"]["occasional"]["users"])' "$T/m.json")
tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --moved daily_active:occasional > "$T/moved.csv"
[ "$(head -1 "$T/moved.csv")" = "user,from,to,from_score,to_score,country" ] || fail "--moved header"
[ "$(($(wc -l < "$T/moved.csv") - 1))" = "$n" ] || fail "--moved lists $(($(wc -l < "$T/moved.csv") - 1)), matrix says $n"
tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --moved 'daily_active:*' --format ndjson | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line); assert r["from"] == "daily_active" and r["user"].startswith("u"), r' || fail "--moved ndjson"
tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --by country --format csv > "$T/bc.csv"
[ "$(sed -n 1p "$T/bc.csv")" = "group,from,to,users,share" ] || fail "--by country csv"
tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --by platform > "$T/bp.txt"
grep -q "^whatsapp (" "$T/bp.txt" || fail "--by platform: $(sed -n 1,3p "$T/bp.txt")"
expect_exit 4 tm "$B" transitions --from 2026-09-01 --to 2026-11-01
expect_exit 2 tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --moved daily:silent
expect_exit 2 tm "$B" transitions --from 2026-10-01

# erasure: the user leaves every snapshot
user=$(sed -n 2p "$T/moved.csv" | cut -d, -f1)
tm "$B" forget "$user" 2>/dev/null
tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --moved '*:*' > "$T/all.csv"
cut -d, -f1 "$T/all.csv" | grep -ax -- "$user" > /dev/null && fail "forgotten user still in a snapshot"
[ "$(($(tm "$B" transitions --from 2026-10-01 --to 2026-11-01 --moved daily_active:occasional | wc -l) - 1))" = $((n - 1)) ] \
    || fail "forget did not remove the user from the counts"

# retention: keeping 20 days before the newest drops 2026-10-01
tm "$B" snapshot -q --as-of 2026-11-01 --keep-days 20
tm "$B" snapshots --format csv > "$T/kept.csv"
[ "$(cut -d, -f1 "$T/kept.csv" | tail -n +2 | tr '\n' ' ')" = "2026-10-15 2026-11-01 " ] || fail "retention: $(cat "$T/kept.csv")"
echo "ok"
