#!/usr/bin/env python3
"""truth_eval.py — cooling alerts and the backtest against the generator's ground truth.

tamis gen writes truth.csv: which users it made go cold (lifecycle "cooling") and on
which day their activity starts to fade. For as-of dates a week apart, this runs
`tamis cooling` and `tamis score` + `tamis export` on a store holding the generated data and reports:

  recall     of the users made to fade on day C who were regular before it (active
             on at least 8 of the last 30 days at the last date before C: a rarer
             user's fade cannot be seen in a week), the share that `tamis cooling`
             flags at some date in (C, C + 28 days] while still in an active tier
             (daily_active, high_interaction, occasional: not yet silent);
  precision  of all alerts, the share whose user's fade had started.

Then one backtest per outcome, comparing the score's AUC with the baselines'.

usage: truth_eval.py TAMIS DATA_DIR TRUTH_CSV END_DATE DAYS [--min-recall R]
       [--min-precision P] [--json OUT]
Exits 1 when a floor is not met or the score's AUC does not beat every baseline.
"""
import argparse
import csv
import datetime as dt
import io
import json
import subprocess
import sys

ACTIVE = {"daily_active", "high_interaction", "occasional"}


def run(tamis, data, *args):
    out = subprocess.run([tamis, "--data", data, *args], check=True, capture_output=True, text=True)
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tamis")
    ap.add_argument("data")
    ap.add_argument("truth")
    ap.add_argument("end", help="the generated window's end, YYYY-MM-DD")
    ap.add_argument("days", type=int)
    ap.add_argument("--min-recall", type=float, default=0.0)
    ap.add_argument("--min-precision", type=float, default=0.0)
    ap.add_argument("--json")
    a = ap.parse_args()

    truth = {}
    with open(a.truth, newline="") as f:
        for r in csv.DictReader(f):
            truth[r["user"]] = r
    end = dt.date.fromisoformat(a.end)
    start = end - dt.timedelta(days=a.days)
    dates = []
    t = start + dt.timedelta(days=35)
    while t <= end:
        dates.append(t)
        t += dt.timedelta(days=7)

    # per date: the users in an active tier with their activity, and the alerts
    state, alerts = {}, {}
    for t in dates:
        iso = t.isoformat()
        run(a.tamis, a.data, "score", "-q", "--as-of", iso)
        rows = csv.DictReader(io.StringIO(run(a.tamis, a.data, "export", "--columns",
                                              "user,tier,active_days_7,active_days_30")))
        state[t] = {r["user"]: (r["tier"], int(r["active_days_30"])) for r in rows}
        alerts[t] = {r["user"] for r in csv.DictReader(io.StringIO(
            run(a.tamis, a.data, "cooling", "--as-of", iso, "--format", "csv")))}

    # recall: users made to fade at C, regular before it (active on >= 8 of the 30 days
    # at the last date before C), caught at some date in (C, C + 28 d] at which they are
    # still in an active tier (not yet silent)
    eligible = caught = 0
    for user, r in truth.items():
        if r["lifecycle"] != "cooling" or r["asleep"] == "1":
            continue
        c = dt.date.fromisoformat(r["change"])
        before = [t for t in dates if t <= c]
        after = [t for t in dates if c < t <= c + dt.timedelta(days=28)]
        if not before or not after:
            continue
        tier, ad30 = state[before[-1]].get(user, ("", 0))
        if tier not in ACTIVE or ad30 < 8:
            continue
        eligible += 1
        if any(user in alerts[t] and state[t].get(user, ("", 0))[0] in ACTIVE for t in after):
            caught += 1
    # precision: of all alerts, those of users whose fade had started
    flagged = true_flags = active_users = active_fading = 0
    per_date = []
    for t in dates:
        for u, (tier, _) in state[t].items():
            if tier in ACTIVE:
                active_users += 1
                r = truth.get(u)
                active_fading += bool(r and r["lifecycle"] == "cooling" and dt.date.fromisoformat(r["change"]) < t)
        started = sum(1 for u in alerts[t] if truth.get(u, {}).get("lifecycle") == "cooling"
                      and dt.date.fromisoformat(truth[u]["change"]) < t)
        per_date.append({"as_of": t.isoformat(), "alerts": len(alerts[t]), "truly_fading": started})
        flagged += len(alerts[t])
        true_flags += started
    hits = caught
    recall = caught / eligible if eligible else float("nan")
    precision = true_flags / flagged if flagged else float("nan")

    backtests = {}
    mid = (start + dt.timedelta(days=a.days * 2 // 3)).isoformat()
    for outcome in ("reply", "click", "purchase", "active"):
        bt = json.loads(run(a.tamis, a.data, "backtest", "--as-of", mid, "--horizon", "14d", "--outcome", outcome,
                            "--format", "json"))
        backtests[outcome] = {p["predictor"]: {"auc": p["auc"], "lift_top_decile": p["lift_top_decile"]}
                              for p in bt["predictors"]}
        backtests[outcome]["positives"] = bt["positives"]
        backtests[outcome]["users"] = bt["users"]

    print(f"cooling alerts against the generator's truth ({len(dates)} dates, {dates[0]} .. {dates[-1]}):")
    print(f"  recall    {recall:.3f}  ({hits} of {eligible} fading users caught within 28 days, before silent)")
    chance = active_fading / active_users if active_users else float("nan")
    print(f"  precision {precision:.3f}  ({true_flags} of {flagged} alerts are truly fading users; "
          f"{chance:.3f} of all users in an active tier are)")
    print(f"backtest as of {mid}, next 14 days: AUC (top-decile lift)")
    print(f"  {'outcome':<9} {'score':>14} {'seen 7d':>14} {'on channel':>14} {'purchase rec.':>14}")
    ok = True
    for outcome, b in backtests.items():
        cells = []
        for p in ("score", "seen_7d", "on_channel", "purchase_recency"):
            auc, lift = b[p]["auc"], b[p]["lift_top_decile"]
            cells.append(f"{auc:.3f} ({lift:.2f}x)" if auc is not None and lift is not None else "-")
        print(f"  {outcome:<9} " + " ".join(f"{c:>14}" for c in cells))
        s = b["score"]["auc"]
        for p in ("seen_7d", "on_channel", "purchase_recency"):
            if b[p]["auc"] is not None and (s is None or s <= b[p]["auc"]):
                print(f"  FAIL: the score's AUC for {outcome} does not beat {p}", file=sys.stderr)
                ok = False
    if not recall >= a.min_recall:
        print(f"  FAIL: recall {recall:.3f} below {a.min_recall}", file=sys.stderr)
        ok = False
    if not precision >= a.min_precision:
        print(f"  FAIL: precision {precision:.3f} below {a.min_precision}", file=sys.stderr)
        ok = False
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"recall": recall, "precision": precision, "chance": chance, "dates": per_date,
                       "backtests": backtests}, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
