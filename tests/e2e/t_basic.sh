#!/usr/bin/env bash
# t_basic.sh — a hand-written contacts + events case through every subcommand:
# import, ingest, stats, show (text and JSON), help and exit codes.
source "$(dirname "$0")/lib.sh"
D=$T/data

# --help works everywhere and exits 0
for c in gen import-contacts ingest stats show forget; do
  "$TAMIS" "$c" --help | grep -q "usage: tamis" || fail "$c --help"
done
"$TAMIS" --help | grep -q "import-contacts" || fail "global --help"
expect_exit 2 "$TAMIS" no-such-command
expect_exit 2 "$TAMIS" ingest
expect_exit 4 tm "$T/none" stats

tm "$D" import-contacts --format-summary json "$CASES/contacts_basic.csv" > "$T/imp.json" 2>"$T/imp.err"
[ "$(json_field "$T/imp.json" rows)" = 7 ] || fail "rows"
[ "$(json_field "$T/imp.json" rejected)" = 2 ] || fail "two rows rejected (bad country, bad zone)"
[ "$(json_field "$T/imp.json" new_users)" = 5 ] || fail "five users"
[ "$(json_field "$T/imp.json" duplicate_phones)" = 1 ] || fail "alice and dave share +84912345678"
[ "$(json_field "$T/imp.json" phones_unparsable)" = 1 ] || fail "erin's phone"
grep -q "duplicate phone +84912345678" "$D/warnings.log" || fail "duplicate in warnings.log"
grep -q "contacts_basic.csv:7: .*XX" "$D/rejects.log" || fail "bad country rejected with line"
grep -q "contacts_basic.csv:8: .*Mars/Olympus" "$D/rejects.log" || fail "bad zone rejected with line"

tm "$D" ingest --format-summary json "$CASES/events_basic.csv" > "$T/ing.json" 2>"$T/ing.err"
[ "$(json_field "$T/ing.json" records)" = 17 ] || fail "records"
[ "$(json_field "$T/ing.json" accepted)" = 16 ] || fail "accepted"
[ "$(json_field "$T/ing.json" duplicates)" = 1 ] || fail "e1 twice"
[ "$(json_field "$T/ing.json" new_users)" = 1 ] || fail "telegram:tg-unknown created"

tm "$D" stats --format json > "$T/stats.json"
[ "$(json_field "$T/stats.json" users)" = 6 ] || fail "users in stats"
[ "$(json_field "$T/stats.json" events_applied)" = 16 ] || fail "applied in stats"
[ "$(json_field "$T/stats.json" duplicates_skipped)" = 1 ] || fail "dups in stats"
[ "$(json_field "$T/stats.json" time_min)" = 2025-11-01T09:00:00Z ] || fail "time_min"
tm "$D" stats | grep -q "^users *6" || fail "text stats"

tm "$D" show --format json alice > "$T/alice.json"
python3 - "$T/alice.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c, a = d["contact"], d["activity"]
assert c["phone"] == {"e164": "+84912345678", "valid": True, "type": "mobile", "region": "VN"}, c["phone"]
assert c["tz"] == "Asia/Ho_Chi_Minh" and c["country"] == "VN" and c["tags"] == ["hanoi", "vip"]
assert c["attributes"] == {"city": "Hanoi"}, c["attributes"]
assert c["identities"] == [{"platform": "telegram", "id": "tg-alice"}]
kinds = sorted((h["kind"], h["count"]) for h in a["hours"])
assert kinds == [("group_join", 1), ("message_sent", 1), ("online", 1), ("reply", 1), ("view", 1)], kinds
assert a["platforms"]["telegram"]["consent"] == "unknown"
assert a["event_ids_kept"] == 5
groups = [f for f in a["facets"] if f["type"] == "group"]
assert groups[0]["key"] == "g-hanoi" and groups[0]["kind"] == "group_join"
PY
tm "$D" show --format json carol | python3 -c '
import json,sys; d=json.load(sys.stdin); p=d["activity"]["platforms"]["sms"]
assert p["consecutive_failures"]==2 and p["last_failure_reason"]=="invalid_number", p'
tm "$D" show --format json dave | python3 -c '
import json,sys; d=json.load(sys.stdin); assert d["activity"]["platforms"]["telegram"]["consent"]=="opted_out"'
tm "$D" show --format json bob | python3 -c '
import json,sys; d=json.load(sys.stdin); v=[h for h in d["activity"]["hours"] if h["kind"]=="purchase"][0]
assert abs(v["value"]-19.9)<1e-9, v'
tm "$D" show --format json telegram:tg-unknown | grep -q '"auto_created": true' || fail "auto user"
tm "$D" show alice | grep -q "^phone *+84912345678 (valid, mobile)" || fail "text show"
expect_exit 4 tm "$D" show nobody
echo "ok"
