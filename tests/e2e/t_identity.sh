#!/usr/bin/env bash
# t_identity.sh — identities across ingest and import: an unknown platform id becomes
# a placeholder user; importing a contact that owns the id takes the placeholder over
# (activity merged, placeholder gone); an event naming both a user and a platform id
# teaches the identity map; an id owned by another real user is a reported conflict.
source "$(dirname "$0")/lib.sh"
D=$T/data
cat > "$T/ev1.csv" <<'CSV'
ts,user,platform,platform_id,kind,id
1761987600,,telegram,777,online,a1
1761987700,,telegram,777,message_sent,a2
1761987800,carol,line,L-55,online,a3
1761987900,,line,L-55,reply,a4
CSV
tm "$D" ingest -q "$T/ev1.csv"
tm "$D" show --format json telegram:777 | grep -q '"auto_created": true' || fail "placeholder created"
# the learned identity routed a4 to carol, not to a placeholder
expect_exit 4 tm "$D" show line:L-55
tm "$D" show --format json carol | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert {"platform":"line","id":"L-55"} in d["contact"]["identities"], d["contact"]
assert sorted(h["kind"] for h in d["activity"]["hours"]) == ["online","reply"]'

# the other order, across two ingests: the placeholder made first is taken over
D2=$T/data2
printf 'ts,user,platform,platform_id,kind,id\n1761987900,,line,L-55,reply,a4\n' > "$T/first.csv"
printf 'ts,user,platform,platform_id,kind,id\n1761987800,carol,line,L-55,online,a3\n' > "$T/second.csv"
tm "$D2" ingest -q "$T/first.csv"
tm "$D2" show --format json line:L-55 | grep -q '"auto_created": true' || fail "placeholder first"
tm "$D2" ingest -q "$T/second.csv"
expect_exit 4 tm "$D2" show line:L-55
cmp -s <(tm "$D" show --format json carol) <(tm "$D2" show --format json carol) || fail "order changed carol's state"

cat > "$T/contacts.csv" <<'CSV'
user,telegram_id,line_id
dave,777,
erin,,L-55
CSV
tm "$D" import-contacts --format-summary json "$T/contacts.csv" > "$T/imp.json" 2>/dev/null
[ "$(json_field "$T/imp.json" placeholders_merged)" = 1 ] || fail "placeholder merged"
[ "$(json_field "$T/imp.json" identity_conflicts)" = 1 ] || fail "erin's line id belongs to carol"
grep -q "line_id L-55 already belongs to user 'carol'" "$D/warnings.log" || fail "conflict in warnings.log"
expect_exit 4 tm "$D" show telegram:777
tm "$D" show --format json dave | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["auto_created"] is False
assert sorted(h["kind"] for h in d["activity"]["hours"]) == ["message_sent","online"], d["activity"]["hours"]
assert d["activity"]["event_ids_kept"] == 2'
# after the merge, the id keeps resolving to dave, and a replay is still a duplicate
printf 'ts,platform,platform_id,kind,id\n1761988000,telegram,777,click,a5\n1761987600,telegram,777,online,a1\n' > "$T/ev2.csv"
tm "$D" ingest --format-summary json "$T/ev2.csv" > "$T/ing.json" 2>/dev/null
[ "$(json_field "$T/ing.json" duplicates)" = 1 ] || fail "a1 after merge is a duplicate"
[ "$(json_field "$T/ing.json" new_users)" = 0 ] || fail "no new placeholder"
tm "$D" show --format json dave | grep -q '"kind": "click"' || fail "click went to dave"

# a takeover inside one session, across commits: the placeholder's committed activity
# (b1, b2) and its events not yet committed (b3) both end up with frank, and a replay
# of b1 afterwards is a duplicate; the outcome does not depend on the commit size
cat > "$T/ev3.csv" <<'CSV'
ts,user,platform,platform_id,kind,id
1761987600,,viber,V-9,online,b1
1761987700,,viber,V-9,reply,b2
1761987800,,viber,V-9,click,b3
1761987900,frank,viber,V-9,read,b4
1761987600,,viber,V-9,online,b1
CSV
for b in 2 100; do
  tm "$T/d3-$b" ingest --batch "$b" --format-summary json "$T/ev3.csv" > "$T/ing3-$b.json" 2>/dev/null
  [ "$(json_field "$T/ing3-$b.json" accepted)" = 4 ] || fail "batch $b: 4 accepted"
  [ "$(json_field "$T/ing3-$b.json" duplicates)" = 1 ] || fail "batch $b: b1 replay is a duplicate"
  expect_exit 4 tm "$T/d3-$b" show viber:V-9
  tm "$T/d3-$b" show --format json frank > "$T/frank-$b.json"
done
python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert sorted(h["kind"] for h in d["activity"]["hours"]) == ["click","online","read","reply"], d["activity"]["hours"]
assert d["activity"]["event_ids_kept"] == 4' "$T/frank-2.json"
cmp -s "$T/frank-2.json" "$T/frank-100.json" || fail "commit size changed frank's state"
echo ok
