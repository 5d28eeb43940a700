#!/usr/bin/env bash
# t_contacts_phones.sh — phones parsed ahead of the import on worker threads
# (src/store/contacts_batch.c) give what a row-by-row import gives: the region is the
# row's country, else the stored contact's country, else --default-country; results
# and warnings stay in file order across several batches (2,048 rows each).
source "$(dirname "$0")/lib.sh"
D=$T/d

# a stored country decides the region of a later row that has none
printf 'user,country\nvn1,VN\nnone1,\n' > "$T/a.csv"
tm "$D" import-contacts -q "$T/a.csv"
cat > "$T/b.csv" <<'CSV'
user,phone,country
vn1,0912345678,
th1,0812345678,
vn2,0912 345 679,VN
none1,0912345670,
bad1,0912345671,XX1
CSV
tm "$D" import-contacts --default-country TH --format-summary json "$T/b.csv" > "$T/b.json" 2>/dev/null
phone_of() {
    tm "$D" show --format json "$1" |
        python3 -c 'import json,sys; p=json.load(sys.stdin)["contact"]["phone"]; print(p["e164"], p["valid"]) if p else print("none")'
}
[ "$(phone_of vn1)" = "+84912345678 True" ] || fail "vn1 (stored VN): $(phone_of vn1)"
[ "$(phone_of th1)" = "+66812345678 True" ] || fail "th1 (default TH): $(phone_of th1)"
[ "$(phone_of vn2)" = "+84912345679 True" ] || fail "vn2 (row VN): $(phone_of vn2)"
case "$(phone_of none1)" in +66912345670\ *) ;; *) fail "none1 (no country: default TH): $(phone_of none1)" ;; esac
[ "$(json_field "$T/b.json" rejected)" = 1 ] || fail "the row with country XX1 is not rejected"

# several batches: every row's phone valid, warnings in file order
python3 - "$T/many.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("user,phone,country\n")
    for i in range(7000):
        phone = "+84 91%07d" % i if i % 1000 != 999 else "+44 364"   # 7 invalid ones
        f.write("m%05d,%s,%s\n" % (i, phone, "" if i % 2 else "VN"))
PY
tm "$D" import-contacts --format-summary json --warnings "$T/w.log" "$T/many.csv" > "$T/m.json" 2>/dev/null
[ "$(json_field "$T/m.json" phones_valid)" = 6993 ] || fail "valid phones: $(cat "$T/m.json")"
[ "$(json_field "$T/m.json" phones_invalid)" = 7 ] || fail "invalid phones: $(cat "$T/m.json")"
lines=$(grep -o 'many.csv:[0-9]*' "$T/w.log" | cut -d: -f2 | tr '\n' ' ')
[ "$lines" = "1001 2001 3001 4001 5001 6001 7001 " ] || fail "warning lines out of order: $lines"
[ "$(phone_of m06998)" = "+84910006998 True" ] || fail "m06998: $(phone_of m06998)"
echo "ok"
