#!/usr/bin/env bash
# t_forget.sh — erasure: after `forget`, neither the user key nor its phone number
# (E.164 or national digits) nor its platform id occurs anywhere in the data
# directory's bytes, and other users are intact.
source "$(dirname "$0")/lib.sh"
D=$T/data
cat > "$T/contacts.csv" <<'CSV'
user,phone,country,telegram_id
erase-me-7731,0987 654 321,VN,tg-secret-4411
keep-me-1,0912 000 111,VN,tg-keep
CSV
cat > "$T/events.csv" <<'CSV'
ts,user,platform,platform_id,kind,id
1761987600,erase-me-7731,telegram,,online,x1
1761987660,,telegram,tg-secret-4411,message_sent,x2
1761987700,keep-me-1,telegram,,online,x3
bad-ts,erase-me-7731,telegram,,online,x4
CSV
"$TAMIS" gen --users 200 --events 3000 --days 10 --seed 5 -o "$T/g" 2>/dev/null
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" import-contacts -q "$T/contacts.csv"
tm "$D" ingest -q --keep-raw "$T/g/events.csv" "$T/events.csv"
dump "$D" "$T/before.dump"
grep -rqa "erase-me-7731" "$D" || fail "setup: key should be present before"
grep -rqa "84987654321" "$D" || fail "setup: phone should be present before"

tm "$D" forget erase-me-7731 2>/dev/null
for needle in erase-me-7731 84987654321 987654321 tg-secret-4411; do
  if grep -rqa -- "$needle" "$D"; then
    grep -rla -- "$needle" "$D" >&2
    fail "'$needle' still in the data directory"
  fi
done
expect_exit 4 tm "$D" show erase-me-7731
tm "$D" show --format json keep-me-1 | grep -q '"e164": "+84912000111"' || fail "other user intact"
dump "$D" "$T/after.dump"
[ "$(wc -l < "$T/after.dump")" = "$(( $(wc -l < "$T/before.dump") - 1 ))" ] || fail "exactly one user less"
grep -v erase-me-7731 "$T/before.dump" | cmp -s - "$T/after.dump" || fail "other users changed"
# the identity is free again: a new event for it creates a placeholder user
printf 'ts,platform,platform_id,kind\n1761990000,telegram,tg-secret-4411,online\n' | tm "$D" ingest -q -
tm "$D" show --format json telegram:tg-secret-4411 >/dev/null || fail "identity not released"
expect_exit 4 tm "$D" forget nobody-here
echo ok
