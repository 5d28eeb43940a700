#!/usr/bin/env bash
# t_audiences.sh — rfm, cross and tag-groups on a `tamis gen` sample (docs/AUDIENCES.md):
# RFM counts add up to the purchasers and the scores follow the quintile rule and the
# segment grid (checked in Python from --users), a window beyond the retention is
# refused, crosses cover every user exactly once in at most --max-groups groups, and
# tag-set supports match an independent count over contacts.csv.
source "$(dirname "$0")/lib.sh"
D=$T/data
S=$T/sample
AS_OF=2026-11-01T00:00:00Z

for c in rfm cross tag-groups; do
  "$TAMIS" "$c" --help | grep -q "usage: tamis" || fail "$c --help"
done
"$TAMIS" gen --users 3000 --events 80000 --days 120 --seed 7 -q -o "$S"
tm "$D" import-contacts --format-summary json "$S/contacts.csv" > "$T/imp.json" 2>/dev/null
[ "$(json_field "$T/imp.json" rejected)" = 0 ] || fail "sample contacts rejected"
tm "$D" ingest "$S/events.csv" > /dev/null 2>&1
tm "$D" score --as-of "$AS_OF" > /dev/null 2>&1

# ---- rfm
tm "$D" rfm --as-of "$AS_OF" --format json > "$T/rfm.json"
tm "$D" rfm --as-of "$AS_OF" --users > "$T/rfm_users.csv"
tm "$D" rfm --as-of "$AS_OF" > "$T/rfm.txt"
grep -q "^Champions" "$T/rfm.txt" || fail "rfm table"
python3 - "$T/rfm.json" "$T/rfm_users.csv" <<'PY' || fail "rfm checks"
import csv, json, sys
s = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
p = s["purchasers"]
assert p > 20, p
assert p + s["non_purchasers"] == s["users"], s
assert sum(g["users"] for g in s["segments"]) == p
for dim in s["quintiles"].values():
    assert sum(b["users"] for b in dim) == p
assert len(rows) == p
def scores(vals):
    n = len(vals)
    out = []
    for v in vals:
        below = sum(1 for w in vals if w < v)
        out.append(1 + 5 * below // n)
    return out
f = scores([int(r["frequency"]) for r in rows])
m = scores([round(float(r["monetary"]) * 1e6) for r in rows])
grid = {5: ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],
        4: ["promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"],
        3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
        2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
        1: ["lost", "hibernating", "at_risk", "at_risk", "cant_lose"]}
counts = {}
for r, fs, ms in zip(rows, f, m):
    assert int(r["f_score"]) == fs, (r, fs)
    assert int(r["m_score"]) == ms, (r, ms)
    fm = (fs + ms + 1) // 2
    assert int(r["fm_score"]) == fm
    assert r["rfm_segment"] == grid[int(r["r_score"])][fm - 1], r
    assert int(r["frequency"]) >= 1 and 0 <= int(r["recency_days"]) <= 365
    counts[r["rfm_segment"]] = counts.get(r["rfm_segment"], 0) + 1
for g in s["segments"]:
    assert counts.get(g["segment"], 0) == g["users"], g
PY
# a window longer than the store keeps is refused, not faked
expect_exit 2 tm "$D" rfm --as-of "$AS_OF" --window 500d
expect_exit 2 tm "$D" rfm --window 0d
# the window only shrinks what it sees
p365=$(json_field "$T/rfm.json" purchasers)
tm "$D" rfm --as-of "$AS_OF" --window 30d --format json > "$T/rfm30.json"
[ "$(json_field "$T/rfm30.json" purchasers)" -le "$p365" ] || fail "30-day window has more purchasers"

# ---- cross
users=$(json_field "$T/rfm.json" users)
check_cross() { # MAX ARGS...: groups cover everyone once, at most MAX groups
  local max=$1; shift
  tm "$D" cross "$@" --max-groups "$max" --as-of "$AS_OF" --format json --members "$T/members.csv" > "$T/cross.json"
  python3 - "$T/cross.json" "$T/members.csv" "$users" "$max" <<'PY' || fail "cross $*"
import csv, json, sys
x = json.load(open(sys.argv[1]))
members = list(csv.DictReader(open(sys.argv[2])))
users, mx = int(sys.argv[3]), int(sys.argv[4])
assert 1 <= len(x["groups"]) <= mx, len(x["groups"])
assert x["users"] == users == len(members)
assert len({m["user"] for m in members}) == users          # each user once
assert sum(g["users"] for g in x["groups"]) == users
per = {}
for m in members:
    per[int(m["group"])] = per.get(int(m["group"]), 0) + 1
for g in x["groups"]:
    assert per.get(g["group"], 0) == g["users"], g
    assert sum(c["users"] for c in g["cells"]) == g["users"]
PY
}
check_cross 8 tier country
check_cross 5 rfm attr:gender tag:vip
check_cross 3 trend best_channel
tm "$D" cross tier country --max-groups 8 > "$T/cross.txt"
[ "$(awk 'length > 80' "$T/cross.txt" | wc -l)" = 0 ] || fail "cross table wider than 80 columns"
expect_exit 2 tm "$D" cross colour
expect_exit 2 tm "$D" cross

# ---- tag-groups
tm "$D" tag-groups --min-users 15 --min-tags 1 --max-sets 0 --format json > "$T/tags.json"
python3 - "$T/tags.json" "$S/contacts.csv" <<'PY' || fail "tag-groups supports"
import csv, itertools, json, sys
g = json.load(open(sys.argv[1]))
users = [frozenset(t.strip() for t in r["tags"].split(";") if t.strip())
         for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))]
def support(s):
    return sum(1 for u in users if s <= u)
found = {frozenset(s["tags"]): s["users"] for s in g["sets"]}
assert found, "no sets"
for s, n in found.items():
    assert support(s) == n, (sorted(s), n, support(s))
    assert n >= 15
# nothing frequent is missing (every set up to 3 tags)
vocab = sorted(set().union(*users))
for k in (1, 2, 3):
    for s in itertools.combinations(vocab, k):
        if support(frozenset(s)) >= 15:
            assert frozenset(s) in found, s
counts = [s["users"] for s in g["sets"]]
assert counts == sorted(counts, reverse=True)
PY
tm "$D" tag-groups --min-users 15 --min-tags 2 > "$T/tags.txt"
grep -q " + " "$T/tags.txt" || fail "tag-groups table has no pairs"
expect_exit 2 tm "$D" tag-groups --min-tags 0
echo "ok"
