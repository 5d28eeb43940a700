#!/usr/bin/env bash
# t_score.sh — `tamis score`, `tiers`, `show` and `export` on generated data: every
# user gets a result; reruns are incremental (only changed users, and their device
# neighbours); a new as-of or a changed configuration rescores everyone; tiers add up;
# export columns are stable and filters work; results do not depend on how the events
# were split into files.
source "$(dirname "$0")/lib.sh"
D=$T/d
"$TAMIS" gen --users 3000 --events 60000 --days 100 --seed 11 -q -o "$T/g"
tm "$D" import-contacts "$T/g/contacts.csv" 2>/dev/null
tm "$D" ingest "$T/g/events.csv" 2>/dev/null
AS_OF=2026-11-01T00:00:00Z

expect_exit 2 tm "$D" score --as-of yesterday
tm "$D" score --as-of $AS_OF 2>"$T/s1"
grep -q "(full: first run)" "$T/s1" || fail "first score not full: $(cat "$T/s1")"
users=$(tm "$D" stats --format json > "$T/st.json"; json_field "$T/st.json" users)
scored=$(sed -E 's/^score: ([0-9]+) user.*/\1/' "$T/s1")
[ "$scored" = "$users" ] || fail "scored $scored of $users users"

# nothing changed: nobody rescored
tm "$D" score --as-of $AS_OF 2>"$T/s2"
grep -q "^score: 0 user(s) scored (incremental: changes)" "$T/s2" || fail "rerun not empty: $(cat "$T/s2")"

# one new event for one user: that user (and device neighbours) only
printf 'ts,user,kind\n2026-10-31T10:00:00Z,u0000007,message_sent\n' > "$T/one.csv"
tm "$D" ingest "$T/one.csv" 2>/dev/null
tm "$D" score --as-of $AS_OF 2>"$T/s3"
n=$(sed -E 's/^score: ([0-9]+) user.*/\1/' "$T/s3")
[ "$n" -ge 1 ] && [ "$n" -lt 20 ] || fail "incremental rescored $n users: $(cat "$T/s3")"
tm "$D" show --format json u0000007 > "$T/u7.json"
python3 - "$T/u7.json" <<'PY' || fail "u0000007 result does not include the new event"
import json, sys
r = json.load(open(sys.argv[1]))["result"]
assert r["message_sent_30"] >= 1 and r["days_since_seen"] <= 1, r
assert r["last_seen"] == "2026-10-31T10:00:00.000Z", r["last_seen"]
assert r["best_channel"] != "unknown" and r["platforms"]["unknown"]["usable"] is False, r
for k in ("score", "tier", "trend", "continuity", "reachability", "risk", "best_hour", "cadence_days"):
    assert k in r, k
assert 3 <= len(r["reasons"]) <= 5, r["reasons"]
PY

# another as-of, or another configuration: everyone again
tm "$D" score --as-of 2026-10-15 2>"$T/s4"
grep -q "(full: as-of changed)" "$T/s4" || fail "new as-of not full: $(cat "$T/s4")"
tm "$D" config > "$T/tamis.ini"
sed -i 's/^daily_active_days_7 *= *5/daily_active_days_7 = 4/' "$T/tamis.ini"
grep -q "^daily_active_days_7 = 4" "$T/tamis.ini" || fail "could not edit the config"
tm "$D" score --as-of $AS_OF 2>/dev/null
tm "$D" tiers --format csv > "$T/tiers5.csv"
"$TAMIS" --data "$D" --config "$T/tamis.ini" score --as-of $AS_OF 2>"$T/s5"
grep -q "(full: config changed)" "$T/s5" || fail "config change not full: $(cat "$T/s5")"
"$TAMIS" --data "$D" --config "$T/tamis.ini" tiers --format csv > "$T/tiers4.csv"
d5=$(awk -F, '$2=="daily_active"{print $3}' "$T/tiers5.csv")
d4=$(awk -F, '$2=="daily_active"{print $3}' "$T/tiers4.csv")
[ "$d4" -gt "$d5" ] || fail "daily_active with 4 days ($d4) not above 5 days ($d5)"
tm "$D" score --as-of $AS_OF 2>/dev/null

# tiers: counts add up to the users, by country and by platform too
tm "$D" tiers > "$T/tiers.txt"
grep -q "^total  *$users " "$T/tiers.txt" || fail "tiers total: $(cat "$T/tiers.txt")"
tm "$D" tiers --by country --format json > "$T/bc.json"
python3 - "$T/bc.json" "$users" <<'PY' || fail "tiers --by country does not add up"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["by"] == "country"
assert sum(g["users"] for g in d["groups"]) == int(sys.argv[2])
for g in d["groups"]:
    assert sum(t["users"] for t in g["tiers"].values()) == g["users"]
PY
tm "$D" tiers --by platform | head -3 | grep -q "^platform" || fail "tiers --by platform"
expect_exit 2 tm "$D" tiers --by city

# export: header, one row per user, column selection, tier filter, ndjson
tm "$D" export -o "$T/all.csv" 2>/dev/null
head -1 "$T/all.csv" | grep -q "^user,score,tier,trend,continuity,depth,profile,interaction,rhythm,reachability,risk,best_channel,best_hour,cadence_days,active_days_7," \
  || fail "export header: $(head -1 "$T/all.csv")"
rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))' "$T/all.csv")
[ "$rows" = "$users" ] || fail "export has $rows rows for $users users"
tm "$D" export --columns user,tier,score --tier dormant,silent 2>/dev/null > "$T/cold.csv"
[ "$(head -1 "$T/cold.csv")" = "user,tier,score" ] || fail "--columns header"
awk -F, 'NR>1 && $2!="dormant" && $2!="silent"{bad=1} END{exit bad}' "$T/cold.csv" || fail "--tier filter"
expect_exit 2 tm "$D" export --columns user,nope
expect_exit 2 tm "$D" export --tier sleepy
tm "$D" export --format ndjson 2>/dev/null | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line); n += 1
    assert r["tier"] in ("unreachable","risky","daily_active","high_interaction","occasional","silent","dormant")
    assert r["trend"] in ("warming","stable","cooling")
    assert 0 <= r["score"] <= 100 and 0 <= r["best_hour"] <= 23
    assert 3 <= len(r["reasons"]) <= 5 and len(r["hour_hist_30"]) == 24
    assert sum(r["hour_hist_30"]) == r["activity_30"]
    assert r["active_days_7"] <= r["active_days_30"] <= r["active_days_90"]
print(n)' > "$T/n" || fail "ndjson export invalid"
[ "$(cat "$T/n")" = "$users" ] || fail "ndjson rows"

# the same events split over two files in another order give the same export
D2=$T/d2
tm "$D2" import-contacts "$T/g/contacts.csv" 2>/dev/null
{ head -1 "$T/g/events.csv"; tail -n +2 "$T/g/events.csv" | awk 'NR%2==0'; } > "$T/even.csv"
{ head -1 "$T/g/events.csv"; tail -n +2 "$T/g/events.csv" | awk 'NR%2==1'; } > "$T/odd.csv"
tm "$D2" ingest "$T/even.csv" 2>/dev/null
tm "$D2" ingest "$T/odd.csv" "$T/one.csv" 2>/dev/null
tm "$D2" score --as-of $AS_OF 2>/dev/null
tm "$D2" export 2>/dev/null | sort > "$T/e2.csv"
tm "$D" export 2>/dev/null | sort > "$T/e1.csv"
cmp -s "$T/e1.csv" "$T/e2.csv" || { diff "$T/e1.csv" "$T/e2.csv" | head -5; fail "export depends on file split"; }

# forget removes the user's result
tm "$D" forget u0000007 2>/dev/null
tm "$D" export --columns user 2>/dev/null | grep -qx u0000007 && fail "forgotten user still exported"
tm "$D" score --as-of $AS_OF 2>/dev/null
echo "ok"
