#!/usr/bin/env bash
# t_segment_columns.sh — the segments' column copy (include/tamis/segment_columns.h)
# gives the same members as the row-by-row evaluation: 160 random expressions over
# numbers, times, booleans, strings, nulls, tags, in/between/not and nesting are each
# evaluated with the copy and without it (the file moved away), member for member.
# The copy is built by `tamis score`, is not used once a contact changes (and the
# change shows at once), is rebuilt by the next score, is ignored when damaged or
# truncated, a copy that cannot be written only warns, and `tamis forget` removes it.
source "$(dirname "$0")/lib.sh"
D=$T/d
COLS=$D/segment-columns
"$TAMIS" gen --users 2500 --events 50000 --days 60 --seed 21 -q -o "$T/g"
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" ingest -q "$T/g/events.csv"
tm "$D" score -q --as-of 2026-10-20
[ -s "$COLS" ] || fail "no $COLS after score"

python3 - "$T/exprs.txt" <<'PY'
import random, sys
rnd = random.Random(7)
nums = {  # column: values to compare with (u8, i32 and f64 cells, nulls among them)
    "score": [0, 15, 50, 72.5, 100], "continuity": [0, 30, 60], "profile": [0, 40],
    "active_days_30": [0, 1, 3, 10], "days_since_seen": [-1, 0, 3, 14, 60], "reply_30": [0, 1, 5],
    "reply_rate_30": [0, 0.1, 0.25, 1], "depth_ratio": [0, 0.3, 0.5], "day_share": [0.2, 0.5],
    "days_since_purchase": [0, 7, 30], "purchase_value_90": [0, 10.5, 100], "peak_hour": [0, 8, 20],
    "best_hour": [9, 18], "activity_30": [0, 5, 50], "timing_cv": [0.1, 1.0], "cadence_days": [1, 7, 30],
}
strs = {"tier": ["daily_active", "high_interaction", "occasional", "silent", "dormant", "risky", "unreachable"],
        "trend": ["warming", "stable", "cooling"], "best_channel": ["whatsapp", "telegram", "zalo", "line", "zz"],
        "country": ["VN", "US", "TH", "ID", "BR", "A", "ZZ"], "zone": ["UTC", "Asia/Ho_Chi_Minh", "Europe/Berlin"]}
bools = ["has_avatar", "has_nickname", "phone_usable", "blocked", "opted_out", "machine_regular"]
tags = ["vip", "loyalty", "beta", "churn_risk", "b2b", "nosuchtag"]
ops = ["=", "!=", "<", "<=", ">", ">="]

def q(s): return '"%s"' % s
def leaf():
    k = rnd.randrange(12)
    if k < 3:
        c = rnd.choice(list(nums)); return "%s %s %s" % (c, rnd.choice(ops), rnd.choice(nums[c]))
    if k == 3:
        c = rnd.choice(list(nums)); v = sorted(rnd.sample(nums[c], 2) if len(nums[c]) > 1 else nums[c] * 2)
        return "%s %sbetween %s and %s" % (c, rnd.choice(["", "not "]), v[0], v[1])
    if k == 4:
        c = rnd.choice(list(strs)); vals = rnd.sample(strs[c], rnd.randint(1, 3))
        return "%s %sin (%s)" % (c, rnd.choice(["", "not "]), ", ".join(map(q, vals)))
    if k == 5:
        c = rnd.choice(list(strs)); op = rnd.choice(ops)
        return ("%s %s %s" % (c, op, q(rnd.choice(strs[c])))) if rnd.random() < .7 else ("%s %s %s" % (q(rnd.choice(strs[c])), op, c))
    if k == 6:
        c = rnd.choice(list(nums) + list(strs)); return "%s is %snull" % (c, rnd.choice(["", "not "]))
    if k == 7:
        return "has_tag(%s)" % q(rnd.choice(tags))
    if k == 8:
        b = rnd.choice(bools); return rnd.choice([b, "%s = %s" % (b, rnd.choice(["true", "false"])), "not " + b])
    if k == 9:
        return "days_since(last_seen) %s %s" % (rnd.choice(ops), rnd.choice(["0d", "3d", "7d", "12h", "2w"]))
    if k == 10:
        return "last_seen %s %s" % (rnd.choice(ops), rnd.choice(["2026-10-01", "2026-10-15T12:00:00Z", "2026-10-19"]))
    c = rnd.choice(list(nums)); return "%s in (%s)" % (c, ", ".join(map(str, rnd.sample(nums[c], min(2, len(nums[c]))))))

def expr(depth):
    if depth == 0 or rnd.random() < .3:
        return leaf()
    k = rnd.randrange(3)
    if k == 0: return "not (%s)" % expr(depth - 1)
    return "(%s) %s (%s)" % (expr(depth - 1), "and" if k == 1 else "or", expr(depth - 1))

with open(sys.argv[1], "w") as f:
    for i in range(160):
        f.write(expr(rnd.randint(0, 4)) + "\n")
    f.write('tier in ("daily_active", "high_interaction") and country = "VN" and reply_30 > 0 '
            'and days_since(last_seen) <= 7d and not has_tag("staff")\n')
    f.write('attr("city") = "Hanoi" or score > 60\n')  # read row by row in both runs
PY

# Every expression: members with the copy (and the plan says so), then without it.
evaluate_all() { # $1: output prefix
    local i=0
    while IFS= read -r e; do
        i=$((i + 1))
        tm "$D" segment eval "$e" --format csv --columns user > "$T/$1.$i.csv" 2> "$T/$1.$i.err" ||
            fail "eval failed: $e: $(cat "$T/$1.$i.err")"
        if [ "$1" = cols ]; then
            tm "$D" segment eval "$e" --explain > "$T/plan.$i.txt" 2>&1 || fail "explain failed: $e"
        fi
    done < "$T/exprs.txt"
}
evaluate_all cols
used=$(grep -l '^plan: column copy' "$T"/plan.*.txt | wc -l)
[ "$used" -ge 155 ] || fail "only $used of 162 expressions used the column copy"
grep -q '^plan: stored results, user by user (the expression reads what the column copy does not hold' \
    "$T/plan.162.txt" || fail "attr() should be read row by row: $(tail -n 1 "$T/plan.162.txt")"
mv "$COLS" "$T/saved-columns"
evaluate_all rows
n=0
while IFS= read -r e; do
    n=$((n + 1))
    cmp -s "$T/cols.$n.csv" "$T/rows.$n.csv" || fail "members differ for: $e
$(diff "$T/cols.$n.csv" "$T/rows.$n.csv" | head -n 5)"
done < "$T/exprs.txt"
matched=$(for f in "$T"/rows.*.csv; do [ "$(wc -l < "$f")" -gt 1 ] && echo x; done | wc -l)
[ "$matched" -ge 80 ] || fail "only $matched expressions match anyone: the comparison proves little"
mv "$T/saved-columns" "$COLS"

# A changed contact makes the copy stale: the change shows at once, row by row.
key=$(sed -n 2p "$T/cols.1.csv" | tr -d '\r')
[ -n "$key" ] || key=$(tm "$D" export --columns user | sed -n 2p)
printf 'user,tags\n%s,fresh-tag\n' "$key" > "$T/tag.csv"
tm "$D" import-contacts -q "$T/tag.csv"
tm "$D" segment eval 'has_tag("fresh-tag")' --explain > "$T/plan.txt"
grep -q '^plan: stored results, user by user (the column copy is older than the stored results)' "$T/plan.txt" ||
    fail "a stale copy was used: $(cat "$T/plan.txt")"
grep -q '^1 users match' "$T/plan.txt" || fail "the new tag does not show: $(head -n 1 "$T/plan.txt")"
tm "$D" score -q --as-of 2026-10-20 --full
tm "$D" segment eval 'has_tag("fresh-tag")' --explain > "$T/plan.txt"
grep -q '^plan: column copy' "$T/plan.txt" || fail "score did not rebuild the copy: $(cat "$T/plan.txt")"
tm "$D" segment eval 'has_tag("fresh-tag")' --format csv --columns user > "$T/fresh.csv"
grep -qx "$key" "$T/fresh.csv" || fail "rebuilt copy"

# A damaged or truncated copy is not used, and answers stay right.
want=$(tm "$D" segment eval 'score > 40 and country = "VN"')
cp "$COLS" "$T/good"
size=$(stat -c %s "$COLS")
printf '\xff\xff\xff\xff' | dd of="$COLS" bs=1 seek=$((size - 6)) conv=notrunc status=none
tm "$D" segment eval 'score > 40 and country = "VN"' --explain > "$T/plan.txt"
grep -q '^plan: stored results, user by user (the column copy is damaged\|^plan: stored results, user by user (the column copy is not readable' \
    "$T/plan.txt" || fail "a damaged copy: $(tail -n 1 "$T/plan.txt")"
[ "$(head -n 1 "$T/plan.txt")" = "$want" ] || fail "damaged copy changed the answer"
head -c 100000 "$T/good" > "$COLS"
tm "$D" segment eval 'score > 40 and country = "VN"' --explain > "$T/plan.txt"
grep -q '^plan: stored results, user by user' "$T/plan.txt" || fail "a truncated copy was used"
[ "$(head -n 1 "$T/plan.txt")" = "$want" ] || fail "truncated copy changed the answer"
: > "$COLS"
[ "$(tm "$D" segment eval 'score > 40 and country = "VN"')" = "$want" ] || fail "empty copy changed the answer"

# A copy that cannot be written (a directory in its place) warns; the scores stand.
rm -f "$COLS"
mkdir "$COLS"
tm "$D" score -q --as-of 2026-10-20 --full 2> "$T/warn.txt" || fail "score failed over an unwritable copy"
grep -q '^score: warning: the column copy for segments was not built: cannot rename' "$T/warn.txt" ||
    fail "no warning: $(cat "$T/warn.txt")"
[ "$(tm "$D" segment eval 'score > 40 and country = "VN"')" = "$want" ] || fail "unwritable copy changed the answer"
if compgen -G "$D/segment-columns.tmp*" > /dev/null; then fail "a temporary copy was left behind"; fi
rmdir "$COLS"

# segment refresh rebuilds a stale copy when it has two segments or more to evaluate;
# forget removes it.
tm "$D" segment create vn 'country = "VN"' 2>/dev/null
tm "$D" segment refresh
tm "$D" segment eval 'country = "VN"' --explain > "$T/plan.txt"
grep -q '^plan: stored results' "$T/plan.txt" || fail "one segment: no build"
tm "$D" segment create th 'country = "TH"' 2>/dev/null
tm "$D" segment refresh
tm "$D" segment eval 'country = "VN"' --explain > "$T/plan.txt"
grep -q '^plan: column copy' "$T/plan.txt" || fail "refresh did not rebuild"
tm "$D" forget "$key" > /dev/null
[ ! -e "$COLS" ] || fail "forget left the column copy"
echo "t_segment_columns: ok"
