#!/usr/bin/env bash
# t_config.sh — `tamis config`: prints the shipped defaults; an edited copy given with
# --config (or $TAMIS_CONFIG) shows the edit and prints back to itself; DATA/tamis.ini is
# picked up when no file is named; --defaults ignores files; an invalid file exits 2
# naming its line; --check validates; --help works.
source "$(dirname "$0")/lib.sh"
D=$T/data
mkdir -p "$D"

# section FILE NAME: the lines of [NAME] in FILE, header included
section() { awk -v h="[$2]" '$0 == h { on = 1; print; next } /^\[/ { on = 0 } on' "$1"; }

# the shipped defaults
tm "$D" config > "$T/defaults.ini" 2> "$T/err"
grep -qx '\[score\]' "$T/defaults.ini" || fail "no [score] section"
grep -qx 'weight.continuity = 30' "$T/defaults.ini" || fail "default weight"
grep -qx 'delta = 0.15' "$T/defaults.ini" || fail "default trend delta"
section "$T/defaults.ini" country.VN > "$T/vn"
grep -qx 'channels = zalo, messenger' "$T/vn" || fail "VN channels"
grep -qx 'tz = Asia/Ho_Chi_Minh' "$T/vn" || fail "VN zone"
grep -q '^config: shipped defaults (hash [0-9a-f]\{16\})$' "$T/err" || fail "summary on stderr: $(cat "$T/err")"
"$TAMIS" config --defaults > "$T/defaults2.ini" 2>/dev/null
cmp -s "$T/defaults.ini" "$T/defaults2.ini" || fail "--defaults differs from the defaults"

# an edited copy, through --config and $TAMIS_CONFIG
sed -e 's/^risk_penalty = 0.5$/risk_penalty = 0.25/' "$T/defaults.ini" > "$T/edited.ini"
grep -qx 'risk_penalty = 0.25' "$T/edited.ini" || fail "setup: edit did not apply"
tm "$D" --config "$T/edited.ini" config > "$T/shown.ini" 2> "$T/err"
grep -qx 'risk_penalty = 0.25' "$T/shown.ini" || fail "--config edit not shown"
cmp -s "$T/edited.ini" "$T/shown.ini" || fail "printed form is not a fixed point"
grep -q "shipped defaults + $T/edited.ini" "$T/err" || fail "source not named: $(cat "$T/err")"
tm "$D" config --config "$T/edited.ini" > "$T/shown2.ini" 2>/dev/null
cmp -s "$T/edited.ini" "$T/shown2.ini" || fail "config --config FILE"
TAMIS_CONFIG=$T/edited.ini tm "$D" config > "$T/env.ini" 2>/dev/null
grep -qx 'risk_penalty = 0.25' "$T/env.ini" || fail "\$TAMIS_CONFIG not read"

# DATA/tamis.ini, merged into the defaults of its country
printf '# only the hour\n[country.vn]\nsend_hour = 22\n' > "$D/tamis.ini"
tm "$D" config > "$T/data.ini" 2> "$T/err"
section "$T/data.ini" country.VN > "$T/vn"
grep -qx 'send_hour = 22' "$T/vn" || fail "DATA/tamis.ini not picked up"
grep -qx 'channels = zalo, messenger' "$T/vn" || fail "[country.VN] should merge into the default"
grep -q "$D/tamis.ini" "$T/err" || fail "source not named: $(cat "$T/err")"
tm "$D" --config "$T/edited.ini" config > "$T/shown.ini" 2>/dev/null
cmp -s "$T/edited.ini" "$T/shown.ini" || fail "--config should win over DATA/tamis.ini"
tm "$D" config --defaults > "$T/defaults3.ini" 2>/dev/null
cmp -s "$T/defaults.ini" "$T/defaults3.ini" || fail "--defaults should ignore DATA/tamis.ini"

# invalid files: exit 2, message names the line
printf '[score]\nweight.depth = 20\n\n[tiers]\ndaily_active_days_7 = 9\n' > "$T/bad.ini"
expect_exit 2 tm "$D" --config "$T/bad.ini" config > /dev/null 2> "$T/err"
grep -q "bad.ini:5: daily_active_days_7 in \[tiers\]: '9' is out of range" "$T/err" || fail "message: $(cat "$T/err")"
printf '[score]\nwieght.depth = 20\n' > "$D/tamis.ini"
expect_exit 2 tm "$D" config > /dev/null 2> "$T/err"
grep -q "tamis.ini:2: unknown key 'wieght.depth' in \[score\] (did you mean 'weight.depth'?)" "$T/err" \
  || fail "message: $(cat "$T/err")"
expect_exit 1 tm "$D" --config "$T/missing.ini" config > /dev/null 2>&1

# --check
expect_exit 0 "$TAMIS" config --check "$T/edited.ini" 2> "$T/err"
grep -q 'is valid (hash [0-9a-f]\{16\})' "$T/err" || fail "--check summary: $(cat "$T/err")"
expect_exit 2 "$TAMIS" config --check "$T/bad.ini" 2> "$T/err"
grep -q "bad.ini:5:" "$T/err" || fail "--check message: $(cat "$T/err")"
expect_exit 1 "$TAMIS" config --check "$T/missing.ini" 2>/dev/null

# help and usage
"$TAMIS" config --help > "$T/help"
grep -q '^usage: tamis .*config' "$T/help" || fail "config --help"
"$TAMIS" --help > "$T/help"
grep -q -- '--config FILE' "$T/help" || fail "global --config in --help"
grep -qE '^  config +print the effective model configuration' "$T/help" || fail "config in the command list"
expect_exit 2 "$TAMIS" config --bogus 2>/dev/null
expect_exit 2 "$TAMIS" config --defaults --check "$T/edited.ini" 2>/dev/null
echo ok
