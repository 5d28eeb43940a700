#!/usr/bin/env bash
# t_truth.sh — cooling alerts and the backtest against what the generator knows
# (truth.csv): cooling catches most (>= 50%) users made to fade before they go silent, with a
# precision well above chance; the score's AUC beats every single-signal baseline for
# every outcome (bench/truth_eval.py prints the numbers and checks the floors). Also
# the cooling and backtest commands' formats and usage errors.
source "$(dirname "$0")/lib.sh"
D=$T/d
"$TAMIS" gen --users 20000 --events 400000 --days 120 --seed 42 -q -o "$T/g"
[ "$(sed -n 1p "$T/g/truth.csv")" = "user,lifecycle,change,asleep,farm" ] || fail "truth.csv header"
[ "$(($(wc -l < "$T/g/truth.csv") - 1))" = 20000 ] || fail "truth.csv rows"
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" ingest -q "$T/g/events.csv"

python3 "$SRC/bench/truth_eval.py" "$TAMIS" "$D" "$T/g/truth.csv" 2026-11-01 120 \
    --min-recall 0.5 --min-precision 0.15 --json "$T/eval.json" > "$T/eval.txt" \
    || fail "ground truth: $(cat "$T/eval.txt")"
cat "$T/eval.txt"

# cooling: formats agree, ranks ascend, every alert is an active cooling user
tm "$D" cooling --as-of 2026-10-15 --format csv > "$T/c.csv"
tm "$D" cooling --as-of 2026-10-15 --format ndjson > "$T/c.ndjson"
python3 - "$T/c.csv" "$T/c.ndjson" <<'PY' || fail "cooling output"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
objs = [json.loads(l) for l in open(sys.argv[2])]
assert rows and len(rows) == len(objs), (len(rows), len(objs))
prev = None
for r, o in zip(rows, objs):
    assert r["user"] == o["user"] and int(r["rank"]) == o["rank"]
    assert r["tier"] in ("daily_active", "high_interaction", "occasional"), r
    p = float(r["priority"])
    assert prev is None or p <= prev + 1e-9, (p, prev)
    prev = p
    assert 3 <= len(o["reasons"]) <= 5 and any("cooling" in x for x in o["reasons"]), o
PY
tm "$D" cooling --as-of 2026-10-15 --limit 3 > "$T/c.txt"
[ "$(grep -c '^ *[0-9][0-9]* u' "$T/c.txt")" = 3 ] || fail "cooling --limit 3: $(cat "$T/c.txt")"
awk 'length > 80 { bad = 1 } END { exit bad }' "$T/c.txt" || fail "cooling table wider than 80 columns"
expect_exit 2 tm "$D" cooling --limit x
expect_exit 2 tm "$D" cooling --format json

# backtest: JSON is complete and consistent with the table
tm "$D" backtest --as-of 2026-09-22 --horizon 14d --outcome purchase --format json > "$T/b.json"
python3 - "$T/b.json" <<'PY' || fail "backtest json"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["outcome"] == "purchase" and b["horizon_days"] == 14
assert sum(t["users"] for t in b["tiers"]) == b["users"]
assert sum(t["positives"] for t in b["tiers"]) == b["positives"]
for p in b["predictors"]:
    assert len(p["deciles"]) == 10 and sum(d["users"] for d in p["deciles"]) == b["users"], p["predictor"]
    assert sum(d["positives"] for d in p["deciles"]) == b["positives"]
    assert 0 <= p["auc"] <= 1
score = b["predictors"][0]
assert score["predictor"] == "score" and score["deciles"][0]["min"] >= score["deciles"][-1]["max"]
PY
tm "$D" backtest --as-of 2026-09-22 --outcome active > "$T/b.txt"
grep -q "^tamis score  *0\.[0-9]*  *[0-9.]*x$" "$T/b.txt" || fail "backtest table: $(cat "$T/b.txt")"
expect_exit 2 tm "$D" backtest --outcome reply
expect_exit 2 tm "$D" backtest --as-of 2026-09-22 --outcome replies
expect_exit 2 tm "$D" backtest --as-of 2026-09-22 --horizon 0d
echo "ok"
