#!/usr/bin/env bash
# t_segments.sh — saved segments end to end: a five-clause expression's members equal
# the same filter computed independently in Python over `tamis export --format ndjson`
# (and the contacts file for country and tags); errors point at the column with a
# suggestion and exit 2; segments of segments; `tamis score` refreshes them and
# `segment diff` lists exactly who entered and left between the two result sets;
# drop refuses while another segment refers to it; erasure takes the user out.
source "$(dirname "$0")/lib.sh"
D=$T/d
"$TAMIS" gen --users 3000 --events 60000 --days 60 --seed 9 -q -o "$T/g"
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" ingest -q "$T/g/events.csv"
tm "$D" score -q --as-of 2026-10-20
tm "$D" snapshot -q --as-of 2026-10-20
tm "$D" export --format ndjson > "$T/before.ndjson"

EXPR='tier in ("daily_active", "high_interaction", "occasional") and country in ("VN", "TH", "ID")
      and active_days_30 >= 3 and days_since(last_seen) <= 10d and not has_tag("vip")'
tm "$D" segment create engaged "$EXPR" 2> "$T/create.err"
grep -q "engaged created: [0-9]* members" "$T/create.err" || fail "create: $(cat "$T/create.err")"
tm "$D" segment create engaged_vn 'segment("engaged") and country = "VN"' 2>/dev/null
tm "$D" segment members engaged --columns user > "$T/members.csv"

python3 - "$T/before.ndjson" "$T/g/contacts.csv" "$T/members.csv" <<'PY' || fail "members differ from an independent filter"
import csv, datetime, json, sys
contacts = {r["user"]: r for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))}
as_of = datetime.datetime(2026, 10, 20, tzinfo=datetime.timezone.utc).timestamp() * 1000
want = set()
for line in open(sys.argv[1]):
    u = json.loads(line)
    c = contacts.get(u["user"], {})
    tags = {t.strip() for t in c.get("tags", "").split(";") if t.strip()}
    seen = u["last_seen"]
    if seen is None:
        continue
    seen_ms = datetime.datetime.fromisoformat(seen.replace("Z", "+00:00")).timestamp() * 1000
    if (u["tier"] in ("daily_active", "high_interaction", "occasional") and c.get("country") in ("VN", "TH", "ID")
            and u["active_days_30"] >= 3 and (as_of - seen_ms) / 86400000 <= 10 and "vip" not in tags):
        want.add(u["user"])
got = {r["user"] for r in csv.DictReader(open(sys.argv[3]))}
assert want and got == want, (len(want), len(got), sorted(want ^ got)[:5])
print("members:", len(got))
PY

# errors point at the column, with a suggestion, and exit 2
set +e
tm "$D" segment eval 'tier = "daily_active" and replyrate_30 > 0.2' 2> "$T/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] || fail "a bad expression exits $rc, not 2"
grep -qF "line 1, col 27: unknown feature 'replyrate_30'; did you mean 'reply_rate_30'?" "$T/err.txt" ||
    fail "error message: $(cat "$T/err.txt")"
expect_exit 2 tm "$D" segment create 'Bad Name' 'score > 1'
expect_exit 2 tm "$D" segment create engaged 'score > 1'
expect_exit 4 tm "$D" segment show nope
tm "$D" segment show engaged_vn --explain | grep -q 'segment "engaged" (expanded)' || fail "explain"

# tamis score refreshes every segment; diff = the change between the two result sets
tm "$D" score -q --as-of 2026-10-27
tm "$D" export --format ndjson > "$T/after.ndjson"
tm "$D" segment members engaged --columns user > "$T/members2.csv"
tm "$D" segment diff engaged > "$T/diff.csv"
python3 - "$T/members.csv" "$T/members2.csv" "$T/diff.csv" <<'PY' || fail "diff"
import csv, sys
a = {r["user"] for r in csv.DictReader(open(sys.argv[1]))}
b = {r["user"] for r in csv.DictReader(open(sys.argv[2]))}
d = list(csv.DictReader(open(sys.argv[3])))
entered = {r["user"] for r in d if r["change"] == "entered"}
left = {r["user"] for r in d if r["change"] == "left"}
assert entered == b - a and left == a - b and (entered or left), (len(entered), len(left))
PY
tm "$D" segment list --format json | python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(sys.stdin)}
assert s["engaged"]["as_of"] == "2026-10-27T00:00:00Z" and s["engaged_vn"]["size"] <= s["engaged"]["size"], s
'

# diff --since a snapshot: members then (from the snapshot's own rows) against now
tm "$D" segment create vn_tiers 'tier in ("daily_active", "high_interaction", "occasional") and country in ("VN", "TH") and score > 20' 2>/dev/null
tm "$D" segment members vn_tiers --columns user > "$T/vn_now.csv"
tm "$D" snapshots --date 2026-10-20 --format csv > "$T/snap.csv"
tm "$D" segment diff vn_tiers --since 2026-10-20 > "$T/since.csv"
python3 - "$T/snap.csv" "$T/vn_now.csv" "$T/since.csv" <<'PY' || fail "diff --since"
import csv, sys
then = {r["user"] for r in csv.DictReader(open(sys.argv[1]))
        if r["tier"] in ("daily_active", "high_interaction", "occasional") and r["country"] in ("VN", "TH")
        and int(r["score"]) > 20}
now = {r["user"] for r in csv.DictReader(open(sys.argv[2]))}
d = list(csv.DictReader(open(sys.argv[3])))
entered = {r["user"] for r in d if r["change"] == "entered"}
left = {r["user"] for r in d if r["change"] == "left"}
assert then and entered == now - then and left == then - now and (entered or left), (len(then), len(entered), len(left))
PY
set +e
tm "$D" segment diff engaged --since 2026-10-20 2> "$T/since.err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "is not kept in daily snapshots" "$T/since.err" || fail "diff --since on a feature: $rc $(cat "$T/since.err")"
expect_exit 4 tm "$D" segment diff vn_tiers --since 2026-09-01
tm "$D" segment drop vn_tiers 2>/dev/null

# RFM names: as many champions as tamis rfm counts as of the same time
champions=$(tm "$D" rfm --as-of 2026-10-27 --format csv 2>/dev/null | awk -F, '$1 == "champions" {print $3}')
got=$(tm "$D" segment eval 'rfm_segment = "champions"' | cut -d' ' -f1)
[ -n "$champions" ] && [ "$got" = "$champions" ] || fail "rfm_segment: $got, tamis rfm: $champions"

# drop refuses while referred to; erasure takes a member out
expect_exit 2 tm "$D" segment drop engaged
victim=$(sed -n 2p "$T/members2.csv")
n_before=$(tm "$D" segment show engaged | sed -n 's/^members *\([0-9]*\) .*/\1/p')
tm "$D" forget "$victim" 2>/dev/null
n_after=$(tm "$D" segment show engaged | sed -n 's/^members *\([0-9]*\) .*/\1/p')
[ "$n_after" = $((n_before - 1)) ] || fail "erasure left the member in the bitmap ($n_before -> $n_after)"
tm "$D" segment members engaged --columns user | grep -qx "$victim" && fail "an erased user is still a member"
tm "$D" segment drop engaged_vn 2>/dev/null
tm "$D" segment drop engaged 2>/dev/null
[ "$(tm "$D" segment list --format csv | wc -l)" = 1 ] || fail "segments left after drop"
echo "ok"
