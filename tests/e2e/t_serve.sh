#!/usr/bin/env bash
# t_serve.sh — `tamis serve` with a real HTTP client (Python's http.client): every path
# of docs/openapi.yaml exists and answers with its documented shape; keys are needed
# (401 without, with a wrong or a revoked one), users and metrics are served, other
# methods are 405, unknown routes 404; tiers and transitions match the CLI's JSON;
# POST /v1/score by keys and phones; body limits; a per-key rate limit; SIGTERM stops
# it with exit 0.
source "$(dirname "$0")/lib.sh"
D=$T/d
"$TAMIS" gen --users 500 --events 5000 --days 30 --seed 3 -q -o "$T/g"
tm "$D" import-contacts -q "$T/g/contacts.csv"
tm "$D" ingest -q "$T/g/events.csv"
tm "$D" score -q --as-of 2026-11-01
READ=$(tm "$D" apikey create --scope read --label test 2>/dev/null)
OLD=$(tm "$D" apikey create --scope admin 2>/dev/null)
tm "$D" apikey revoke "$(echo "$OLD" | cut -c5-12)" 2>/dev/null

USER1=$(sed -n 2p "$T/g/contacts.csv" | cut -d, -f1)
# a user with a valid phone, for POST /v1/score by phone number
PHONE_USER=""; PHONE=""
for u in $(tail -n +2 "$T/g/contacts.csv" | cut -d, -f1 | head -n 40); do
    PHONE=$(tm "$D" show --format json "$u" | python3 -c 'import json,sys; p=json.load(sys.stdin)["contact"]["phone"]; print(p["e164"] if p else "")')
    if [ -n "$PHONE" ]; then PHONE_USER=$u; break; fi
done
[ -n "$PHONE" ] || fail "no user with a phone in the sample"
tm "$D" tiers --by country --format json > "$T/tiers.json"
tm "$D" snapshot -q --as-of 2026-10-15
tm "$D" snapshot -q --as-of 2026-11-01
tm "$D" transitions --from 2026-10-15 --to 2026-11-01 --by platform --format json > "$T/trans.json"
"$TAMIS" --data "$D" serve --listen 127.0.0.1:0 --threads 2 2> "$T/serve.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$T/serve.err" && break; sleep 0.1; done
port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.err")
[ -n "$port" ] || fail "serve did not start: $(cat "$T/serve.err")"

python3 - "$port" "$READ" "$OLD" "$SRC/docs/openapi.yaml" "$USER1" "$T/tiers.json" "$T/trans.json" "$PHONE_USER" "$PHONE" <<'PY' || fail "API checks"
import http.client, json, re, sys
port, key, revoked, spec, user = int(sys.argv[1]), sys.argv[2], sys.argv[3], open(sys.argv[4]).read(), sys.argv[5]

def call(method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body

def error(status, body, code):
    assert status == int(code[0]), (status, body)
    e = json.loads(body)["error"]
    assert e["code"] == code[1] and e["message"], e

auth = {"Authorization": "Bearer " + key}
# every path of the OpenAPI file answers (not 404 for a route that exists)
paths = re.findall(r"^  (/[^:]*):$", spec, re.M)
assert paths == ["/healthz", "/v1/users/{key}", "/v1/tiers", "/v1/transitions", "/v1/score", "/metrics"], paths
for p in paths:
    q = "?from=2026-10-15&to=2026-11-01" if p == "/v1/transitions" else ""
    if p == "/v1/score":
        s, _, b = call("POST", p, dict(auth, **{"Content-Type": "application/json"}), json.dumps([user]))
    else:
        s, _, b = call("GET", p.replace("{key}", user) + q, auth)
    assert s == 200, (p, s, b)

s, t, b = call("GET", "/healthz")
assert s == 200 and t == "application/json" and json.loads(b) == {"status": "ok"}
s, _, b = call("GET", "/v1/users/" + user)
error(s, b, (401, "unauthorized"))
s, _, b = call("GET", "/v1/users/" + user, {"Authorization": "Bearer " + key[:-1] + ("0" if key[-1] != "0" else "1")})
error(s, b, (401, "unauthorized"))
s, _, b = call("GET", "/v1/users/" + user, {"Authorization": "Bearer " + revoked})
error(s, b, (401, "unauthorized"))
s, _, b = call("GET", "/v1/users/" + user, {"Authorization": "Basic " + key})
error(s, b, (401, "unauthorized"))
s, _, b = call("GET", "/v1/users/" + user + "?key=" + key)  # never in URLs
error(s, b, (401, "unauthorized"))

s, t, b = call("GET", "/v1/users/" + user, {"X-API-Key": key})
u = json.loads(b)
assert s == 200 and u["user"] == user, u
r = u["result"]
assert 0 <= r["score"] <= 100 and r["tier"] and r["trend"] in ("warming", "stable", "cooling"), r
assert 3 <= len(r["reasons"]) <= 5 and "best_channel" in r and "cadence_days" in r, r
s, _, b = call("GET", "/v1/users/nobody", auth)
error(s, b, (404, "unknown_user"))
s, _, b = call("GET", "/v1/users/", auth)
error(s, b, (404, "not_found"))
s, _, b = call("GET", "/v2/anything", auth)
error(s, b, (404, "not_found"))
s, _, b = call("DELETE", "/healthz")
error(s, b, (405, "method_not_allowed"))

s, t, b = call("GET", "/v1/tiers?by=country", auth)
d = json.loads(b)
assert s == 200 and d == json.load(open(sys.argv[6])), "API tiers differ from tamis tiers"
assert all(abs(sum(x["share"] for x in g["tiers"].values()) - 1) < 1e-9 for g in d["groups"]), d
s, _, b = call("GET", "/v1/tiers", auth)
assert s == 200 and json.loads(b)["groups"][0]["group"] == "all"
s, _, b = call("GET", "/v1/tiers?by=city", auth)
error(s, b, (400, "bad_request"))

s, _, b = call("GET", "/v1/transitions?from=2026-10-15&to=2026-11-01&by=platform", auth)
assert s == 200 and json.loads(b) == json.load(open(sys.argv[7])), "API transitions differ from tamis transitions"
s, _, b = call("GET", "/v1/transitions?from=2026-10-14&to=2026-11-01", auth)
error(s, b, (404, "no_snapshot"))
s, _, b = call("GET", "/v1/transitions?from=yesterday&to=2026-11-01", auth)
error(s, b, (400, "bad_request"))

# POST /v1/score: keys and phone numbers, JSON or one per line; unknown ones marked
phone_user, phone = sys.argv[8], sys.argv[9]
body = json.dumps([user, "nobody", phone])
s, _, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "application/json"}), body)
d = json.loads(b)
assert s == 200 and d["unknown"] == 1 and [r["known"] for r in d["results"]] == [True, False, True], d
assert d["results"][0]["matches"][0]["result"]["tier"] and d["results"][1]["matches"] == [], d
assert phone_user in [m["user"] for m in d["results"][2]["matches"]], d["results"][2]
s, _, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "text/csv"}), "user\r\n" + user + "  \r\nnobody")
d = json.loads(b)
assert s == 200 and [r["input"] for r in d["results"]] == [user, "nobody"] and d["unknown"] == 1, d
s, _, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "application/json"}), '{"not": "a list"}')
error(s, b, (400, "bad_request"))
s, _, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "text/csv"}), "x" * (2 << 20))
error(s, b, (413, "too_large"))
s, _, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "application/json"}), json.dumps(["u"] * 10001))
error(s, b, (413, "too_many"))
s, _, b = call("GET", "/v1/score", auth)
error(s, b, (405, "method_not_allowed"))
s, _, b = call("POST", "/v1/score", {"Content-Type": "application/json"}, "[]")
error(s, b, (401, "unauthorized"))

s, t, b = call("GET", "/metrics", auth)
text = b.decode()
assert s == 200 and t.startswith("text/plain"), (s, t)
assert re.search(r'^tamis_http_requests_total\{route="/v1/users/\{key\}",status="401"\} 5$', text, re.M), text
assert re.search(r"^tamis_users 50\d$", text, re.M), text
assert re.search(r'^tamis_http_request_seconds_bucket\{le="\+Inf"\} \d+$', text, re.M), text
print("api ok")
PY
kill -TERM "$pid"
wait "$pid" || fail "serve exited with $? on SIGTERM"
grep -q "SIGTERM, stopping" "$T/serve.err" || fail "no stop message: $(cat "$T/serve.err")"

# per-key rate limit: a burst of 2, then 429 for that key only
OTHER=$(tm "$D" apikey create --scope read 2>/dev/null)
"$TAMIS" --data "$D" serve --listen 127.0.0.1:0 --rate 0.2 --burst 2 2> "$T/serve2.err" &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$T/serve2.err" && break; sleep 0.1; done
port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve2.err")
python3 - "$port" "$READ" "$OTHER" <<'PY' || fail "rate limit"
import http.client, json, sys
port, key, other = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def status(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/v1/tiers", headers={"Authorization": "Bearer " + k})
    r = c.getresponse(); body = r.read(); c.close()
    return r.status, body
got = [status(key)[0] for _ in range(3)]
assert got == [200, 200, 429], got
s, b = status(key)
assert s == 429 and json.loads(b)["error"]["code"] == "rate_limited", b
assert status(other)[0] == 200  # another key has its own budget
PY
kill -TERM "$pid"
wait "$pid" || fail "serve exited with $? on SIGTERM"
echo "ok"
