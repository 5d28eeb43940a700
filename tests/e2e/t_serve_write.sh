#!/usr/bin/env bash
# t_serve_write.sh — the write side of `tamis serve` with a real HTTP client:
# POST /v1/events (NDJSON, JSON array, CSV; per-line errors; idempotent retries, also
# for events without an id; bad JSON and oversize bodies apply nothing), continuous
# concurrent posts committed in groups but counted each on its own, rescoring within
# the configured delay, POST /v1/contacts (then events by platform id reach that
# contact), acknowledged = durable (kill -9 right after a 200, and SIGTERM while
# clients post: the retry finds every acknowledged event already there), DELETE /v1/users/{key} (gone from the API,
# the export and the data directory's bytes), and the daily snapshot of the last
# midnight of the configured zone taken at start when it is missing.
source "$(dirname "$0")/lib.sh"
D=$T/d
"$TAMIS" gen --users 400 --events 4000 --days 30 --seed 5 -q -o "$T/g"
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" ingest -q "$T/g/events.csv"
tm "$D" score -q --as-of 2026-11-01
tm "$D" snapshot -q --as-of 2026-10-20
READ=$(tm "$D" apikey create --scope read 2>/dev/null)
WRITE=$(tm "$D" apikey create --scope write 2>/dev/null)
ADMIN=$(tm "$D" apikey create --scope admin 2>/dev/null)
USER1=$(sed -n 2p "$T/g/contacts.csv" | cut -d, -f1)
serve_start "$D" "$T/serve.err" --as-of 2026-11-01 --rescore-delay 1
trap 'kill "$SERVE_PID" 2>/dev/null || true; rm -rf "$T"' EXIT

export PYTHONPATH=$SRC/tests/e2e
python3 - "$PORT" "$SRC/docs/openapi.yaml" "$READ" "$WRITE" "$USER1" "$T/batch.json" <<'PY' || fail "events and contacts"
import json, re, sys, time
from serve_client import Server
srv = Server(int(sys.argv[1]), sys.argv[2])
read = {"Authorization": "Bearer " + sys.argv[3]}
write = {"Authorization": "Bearer " + sys.argv[4]}
user = sys.argv[5]
ndjson = dict(write, **{"Content-Type": "application/x-ndjson"})
as_json = dict(write, **{"Content-Type": "application/json"})

def metric(name):
    text = srv.call("GET", "/metrics", read)[2].decode()
    m = re.search("^" + re.escape(name) + r" ([0-9.]+)$", text, re.M)
    assert m, (name, text)
    return float(m.group(1))

def post(body, headers=ndjson):
    got = srv.call("POST", "/v1/events", headers, body)
    assert got[0] == 200, got[:3]
    srv.check_answer("/v1/events", "post", got)
    return json.loads(got[2])

before = json.loads(srv.call("GET", "/v1/users/" + user, read)[2])["result"]
runs = metric("tamis_score_runs_total")
body = "\n".join([
    json.dumps({"id": "w-1", "ts": "2026-10-31T09:00:00Z", "kind": "reply", "user": user, "platform": "telegram"}),
    '{"ts": "2026-10-31T10:00:00Z", "kind": "nope", "user": "x"}',
    json.dumps({"ts": "2026-10-31T11:00:00Z", "kind": "click", "user": user, "platform": "telegram"}),
    "this is not json",
    "",
    json.dumps({"ts": "2026-10-31T12:00:00Z", "kind": "online", "user": "api-born", "platform": "zalo"}),
]) + "\n"
r = post(body)
assert (r["records"], r["accepted"], r["rejected"], r["duplicate"], r["new_users"]) == (5, 3, 2, 0, 1), r
assert [e["line"] for e in r["errors"]] == [2, 4], r["errors"]
assert "unknown kind 'nope'" in r["errors"][0]["error"] and "JSON" in r["errors"][1]["error"], r["errors"]
# the same request again (a client retry): nothing new, id or no id
r = post(body)
assert (r["accepted"], r["duplicate"], r["rejected"]) == (0, 3, 2), r
# a JSON array, then the same array again
arr = [{"id": "w-2", "ts": "2026-10-31T13:00:00Z", "kind": "read", "user": user, "platform": "telegram"},
       {"ts": "2026-10-31T14:00:00Z", "kind": "message_sent", "user": user, "platform": "telegram"},
       7]
r = post(json.dumps(arr), as_json)
assert (r["accepted"], r["rejected"]) == (2, 1) and r["errors"][0]["index"] == 2, r
r = post(json.dumps(arr), as_json)
assert (r["accepted"], r["duplicate"]) == (0, 2), r
# CSV with its header
r = post("ts,user,kind,platform,id\n2026-10-31T15:00:00Z,%s,click,telegram,w-3\n" % user,
         dict(write, **{"Content-Type": "text/csv"}))
assert (r["accepted"], r["rejected"]) == (1, 0), r
accepted = metric('tamis_events_total{outcome="accepted"}')
assert accepted == 6, accepted
# bad JSON, a bad CSV header and an oversize body apply nothing
for b, h, code in (('[{"ts": 1,', as_json, (400, "bad_json")), ('{"ts": 1}', as_json, (400, "bad_json")),
                   ("when,who\n1,2\n", dict(write, **{"Content-Type": "text/csv"}), (400, "bad_input")),
                   ("{}\n" * 600000, ndjson, (413, "too_large"))):
    got = srv.call("POST", "/v1/events", h, b)
    srv.error(got, *code)
    srv.check_answer("/v1/events", "post", got)
assert metric('tamis_events_total{outcome="accepted"}') == accepted

# rescored within the delay (1 s here; the lag gauge returns to 0)
t0 = time.time()
while True:
    after = json.loads(srv.call("GET", "/v1/users/" + user, read)[2])["result"]
    born = srv.call("GET", "/v1/users/api-born", read)
    if after != before and born[0] == 200 and json.loads(born[2])["result"] is not None:
        break
    assert time.time() - t0 < 5, "not rescored within 5 s"
    time.sleep(0.1)
assert after["active_days_7"] > before["active_days_7"] or after["score"] != before["score"], (before, after)
assert metric("tamis_score_runs_total") > runs
time.sleep(0.2)
assert metric("tamis_scoring_lag_seconds") == 0

# contacts: JSON objects with the CSV's columns; tags as a list; errors by index
contacts = [{"user": "api-c1", "phone": "+84912345670", "country": "VN", "tags": ["vip", "hanoi"],
             "telegram_id": "tg-api-c1", "plan": "gold"},
            {"phone": "+84912345671"},
            {"user": "api-c2", "tz": "Not/AZone"}]
got = srv.call("POST", "/v1/contacts", as_json, json.dumps(contacts))
assert got[0] == 200, got[:3]
srv.check_answer("/v1/contacts", "post", got)
c = json.loads(got[2])
assert (c["rows"], c["new_users"], c["identities_added"]) == (3, 1, 1) and c["rejected"] == 2, c
assert [e["index"] for e in c["errors"]] == [1, 2], c
for bad in ('{"user": "x"}', '[1, 2]', '[{"user": {"nested": 1}}]', 'nope'):
    srv.error(srv.call("POST", "/v1/contacts", as_json, bad), 400, "bad_json")
# an event naming only the platform identity reaches that contact
r = post(json.dumps({"ts": "2026-10-31T16:00:00Z", "kind": "reply", "platform": "telegram",
                     "platform_id": "tg-api-c1"}))
assert (r["accepted"], r["new_users"]) == (1, 0), r
t0 = time.time()
while json.loads(srv.call("GET", "/v1/users/api-c1", read)[2])["result"] is None or \
        json.loads(srv.call("GET", "/v1/users/api-c1", read)[2])["result"]["active_days_7"] == 0:
    assert time.time() - t0 < 5, "contact not rescored"
    time.sleep(0.1)
u = json.loads(srv.call("GET", "/v1/users/api-c1", read)[2])["result"]
assert u["zone"] == "Asia/Ho_Chi_Minh" and u["reply_30"] == 1 and u["platforms"]["telegram"]["has_identity"], u

# concurrent posts are committed in groups, each still counted on its own: 8 clients,
# 5 batches each, every batch sent twice (the second time all duplicates)
import threading
results, lock = [], threading.Lock()
def client(k):
    for b in range(5):
        body = "".join(json.dumps({"id": "c-%d-%d-%d" % (k, b, i), "ts": "2026-10-29T10:%02d:00Z" % i,
                                   "kind": "read", "user": "u%07d" % (1 + (k * 37 + b * 11 + i) % 300),
                                   "platform": "telegram"}) + "\n" for i in range(50))
        for _ in range(2):
            r = post(body)
            with lock:
                results.append((k, b, r["accepted"], r["duplicate"], r["rejected"]))
threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert len(results) == 80, len(results)
firsts = {}
for k, b, acc, dup, rej in results:
    assert rej == 0 and acc + dup == 50, (k, b, acc, dup)
    firsts.setdefault((k, b), []).append((acc, dup))
assert all(sorted(v) == [(0, 50), (50, 0)] for v in firsts.values()), firsts

batch = [{"id": "dur-%d" % i, "ts": "2026-10-30T%02d:%02d:00Z" % (i // 60 % 24, i % 60), "kind": "click",
          "user": "u%07d" % (1 + i % 300), "platform": "line"} for i in range(2000)]
json.dump(batch, open(sys.argv[6], "w"))
print("write ok")
PY

# Acknowledged = durable: kill -9 the moment the answer is in, then retry.
PYTHONPATH=$SRC/tests/e2e python3 - "$PORT" "$WRITE" "$T/batch.json" "$SERVE_PID" <<'PY' || fail "kill -9 after ack"
import http.client, json, os, signal, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("POST", "/v1/events", body=open(sys.argv[3]).read(),
          headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
r = c.getresponse()
body = json.loads(r.read())
os.kill(int(sys.argv[4]), signal.SIGKILL)
assert r.status == 200 and body["accepted"] == 2000, body
PY
wait "$SERVE_PID" 2>/dev/null || true
serve_start "$D" "$T/serve2.err" --as-of 2026-11-01 --rescore-delay 1
python3 - "$PORT" "$WRITE" "$T/batch.json" <<'PY' || fail "retry after kill -9"
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("POST", "/v1/events", body=open(sys.argv[3]).read(),
          headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
body = json.loads(c.getresponse().read())
assert (body["accepted"], body["duplicate"]) == (0, 2000), body
PY

# Erasure through the API: gone from the answers, the export and the bytes on disk.
python3 - "$PORT" "$SRC/docs/openapi.yaml" "$READ" "$ADMIN" <<'PY' || fail "erasure"
import json, sys
from serve_client import Server
srv = Server(int(sys.argv[1]), sys.argv[2])
read = {"Authorization": "Bearer " + sys.argv[3]}
admin = {"Authorization": "Bearer " + sys.argv[4]}
assert srv.call("GET", "/v1/users/api-c1", read)[0] == 200
got = srv.call("DELETE", "/v1/users/api-c1", admin)
assert got[0] == 200, got[:3]
srv.check_answer("/v1/users/{key}", "delete", got)
assert json.loads(got[2])["identities_removed"] == 1
srv.error(srv.call("GET", "/v1/users/api-c1", read), 404, "unknown_user")
srv.error(srv.call("DELETE", "/v1/users/api-c1", admin), 404, "unknown_user")
export = srv.call("GET", "/v1/export?columns=user", read)[2].decode()
assert "api-c1" not in export and "api-born" in export, export[:200]
s = srv.call("POST", "/v1/score", dict(read, **{"Content-Type": "application/json"}), '["+84912345670"]')
assert json.loads(s[2])["unknown"] == 1, s[2]
PY
# SIGTERM while clients post: every acknowledged batch is on disk (the retry below
# finds all of its events), and no request is left without an answer.
python3 - "$PORT" "$WRITE" "$SERVE_PID" "$T/acked.json" <<'PY' || fail "stop while posting"
import http.client, json, os, signal, sys, threading, time
port, key, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
acked, lock, stop = [], threading.Lock(), threading.Event()
def client(k):
    n = 0
    while not stop.is_set():
        batch = [{"id": "t-%d-%d-%d" % (k, n, i), "ts": "2026-10-28T08:00:00Z", "kind": "view",
                  "user": "u%07d" % (1 + (k + n + i) % 300), "platform": "zalo"} for i in range(100)]
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("POST", "/v1/events", body=json.dumps(batch),
                      headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
            r = c.getresponse(); body = r.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            return  # the server is gone: whatever was not answered was not acknowledged
        if r.status == 200:
            assert json.loads(body)["accepted"] == 100, body
            with lock:
                acked.append(batch)
        n += 1
threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for t in threads: t.start()
t0 = time.time()
while len(acked) < 8 and time.time() - t0 < 30:  # some acknowledged, more in flight
    time.sleep(0.05)
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
stop.set()
for t in threads: t.join()
assert len(acked) > 4, len(acked)
json.dump(acked, open(sys.argv[4], "w"))
PY
wait "$SERVE_PID" || fail "serve exited with $? on SIGTERM while posting"
serve_start "$D" "$T/serve4.err" --as-of 2026-11-01 --no-rescore
python3 - "$PORT" "$WRITE" "$T/acked.json" <<'PY' || fail "acknowledged events lost at SIGTERM"
import http.client, json, sys
for batch in json.load(open(sys.argv[3])):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("POST", "/v1/events", body=json.dumps(batch),
              headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())
    assert (r["accepted"], r["duplicate"]) == (0, 100), r
PY
serve_stop
if grep -rqa -e "api-c1" -e "84912345670" -e "tg-api-c1" "$D"; then
    fail "erased user's bytes remain: $(grep -rla -e api-c1 -e 84912345670 "$D")"
fi
grep -q "POST /v1/events by key [0-9a-f]*:2: unknown kind 'nope'" "$D/rejects.log" || fail "rejects.log lacks the API's reject"

# The daily snapshot: at start, the last midnight of the zone when it is missing.
serve_start "$D" "$T/serve3.err" --snapshot-zone Asia/Ho_Chi_Minh --rescore-delay 1
python3 - "$PORT" "$READ" <<'PY' || fail "snapshot at the zone's midnight"
import datetime, http.client, json, sys, time, zoneinfo
zone = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
now = datetime.datetime.now(zone)
midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
day = midnight.astimezone(datetime.timezone.utc).date().isoformat()
t0 = time.time()
while True:
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("GET", "/v1/transitions?from=2026-10-20&to=" + day, headers={"Authorization": "Bearer " + sys.argv[2]})
    r = c.getresponse(); b = r.read()
    if r.status == 200:
        break
    assert r.status == 404 and time.time() - t0 < 20, (r.status, b)
    time.sleep(0.2)
assert json.loads(b)["to"] == day, b
PY
serve_stop
tm "$D" snapshots --format csv | grep -q "^$(python3 -c '
import datetime, zoneinfo
m = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).replace(hour=0, minute=0, second=0, microsecond=0)
print(m.astimezone(datetime.timezone.utc).date().isoformat())')," || fail "tamis snapshots does not list the served snapshot"
echo "ok"
