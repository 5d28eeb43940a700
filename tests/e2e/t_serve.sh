#!/usr/bin/env bash
# t_serve.sh — `tamis serve` with a real HTTP client (Python's http.client): every path
# and method of docs/openapi.yaml exists and answers with its documented shape; keys
# are needed (401 without, with a wrong or a revoked one), scopes are enforced (403),
# users and metrics are served, other methods are 405, unknown routes 404; tiers,
# transitions and export match the CLI's; POST /v1/score by keys and phones; body
# limits; a per-key rate limit; SIGTERM stops it with exit 0. The write side is
# tests/e2e/t_serve_write.sh.
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
tm "$D" export --columns user,tier,score --tier daily_active,silent > "$T/export.csv"
WRITE=$(tm "$D" apikey create --scope write 2>/dev/null)
ADMIN=$(tm "$D" apikey create --scope admin 2>/dev/null)
serve_start "$D" "$T/serve.err" --threads 2 --as-of 2026-11-01
trap 'kill "$SERVE_PID" 2>/dev/null || true; rm -rf "$T"' EXIT
port=$PORT

PYTHONPATH=$SRC/tests/e2e python3 - "$port" "$READ" "$OLD" "$SRC/docs/openapi.yaml" "$USER1" "$T/tiers.json" "$T/trans.json" "$PHONE_USER" "$PHONE" "$WRITE" "$ADMIN" "$T/export.csv" <<'PY' || fail "API checks"
import json, re, sys
from serve_client import Server
port, key, revoked, user = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[5]
write_key, admin_key = sys.argv[10], sys.argv[11]
srv = Server(port, sys.argv[4])

def call(method, path, headers=None, body=None):
    return srv.call(method, path, headers, body)[:3]

def error(status, body, code):
    srv.error((status, "", body, None), int(code[0]), code[1])

auth = {"Authorization": "Bearer " + key}

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
s, _, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "application/json"}), json.dumps(["u"] * 100001))
error(s, b, (413, "too_many"))
# a large list streams: 50,000 inputs, answered in order
big = [user, "nobody"] * 25000
s, t, b = call("POST", "/v1/score", dict(auth, **{"Content-Type": "application/json"}), json.dumps(big))
d = json.loads(b)
assert s == 200 and len(d["results"]) == 50000 and d["unknown"] == 25000, (s, len(b))
assert [r["input"] for r in d["results"][:4]] == big[:4] and d["results"][2]["known"], d["results"][:3]
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
# GET /v1/export streams what `tamis export` writes
s, t, b = call("GET", "/v1/export?tier=daily_active,silent&columns=user,tier,score", auth)
assert s == 200 and t.startswith("text/csv"), (s, t)
assert b == open(sys.argv[12], "rb").read(), "API export differs from tamis export"
s, t, b = call("GET", "/v1/export?format=ndjson&columns=user,score", auth)
rows = [json.loads(x) for x in b.decode().splitlines()]
assert s == 200 and t.startswith("application/x-ndjson") and len(rows) >= 500 and set(rows[0]) == {"user", "score"}, rows[:2]
for bad in ("tier=gold", "format=xml", "columns=user,nope"):
    s, _, b = call("GET", "/v1/export?" + bad, auth)
    error(s, b, (400, "bad_request"))

# scopes: read < write < admin (403, nothing done)
wauth = {"Authorization": "Bearer " + write_key}
aauth = {"Authorization": "Bearer " + admin_key}
s, _, b = call("POST", "/v1/events", dict(auth, **{"Content-Type": "application/x-ndjson"}), "")
error(s, b, (403, "forbidden"))
s, _, b = call("POST", "/v1/contacts", dict(auth, **{"Content-Type": "application/json"}), "[]")
error(s, b, (403, "forbidden"))
s, _, b = call("DELETE", "/v1/users/" + user, wauth)
error(s, b, (403, "forbidden"))
s, _, b = call("GET", "/v1/users/" + user, auth)
assert s == 200, "a refused erasure must leave the user"

# every path and method of the OpenAPI file answers with its documented shape
probes = {
    ("/healthz", "get"): lambda: srv.call("GET", "/healthz"),
    ("/v1/users/{key}", "get"): lambda: srv.call("GET", "/v1/users/" + user, auth),
    ("/v1/tiers", "get"): lambda: srv.call("GET", "/v1/tiers?by=platform", auth),
    ("/v1/transitions", "get"): lambda: srv.call("GET", "/v1/transitions?from=2026-10-15&to=2026-11-01", auth),
    ("/v1/score", "post"): lambda: srv.call("POST", "/v1/score", dict(auth, **{"Content-Type": "application/json"}),
                                            json.dumps([user, "nobody"])),
    ("/v1/export", "get"): lambda: srv.call("GET", "/v1/export?format=ndjson", auth),
    ("/v1/events", "post"): lambda: srv.call("POST", "/v1/events", dict(wauth, **{"Content-Type": "application/json"}),
                                             json.dumps([{"ts": "2026-10-30T10:00:00Z", "kind": "nosuchkind", "user": user}])),
    ("/v1/contacts", "post"): lambda: srv.call("POST", "/v1/contacts", dict(wauth, **{"Content-Type": "application/json"}),
                                               json.dumps([{"user": "probe-contact", "tags": ["a", "b"]}])),
    ("/metrics", "get"): lambda: srv.call("GET", "/metrics", auth),
    ("/v1/overview", "get"): lambda: srv.call("GET", "/v1/overview", auth),
    ("/v1/users", "get"): lambda: srv.call("GET", "/v1/users?q=" + user[:3] + "&limit=5", auth),
    ("/", "get"): lambda: srv.call("GET", "/"),
    ("/assets/{file}", "get"): lambda: srv.call("GET", "/assets/app.js"),
    ("/v1/users/{key}", "delete"): lambda: srv.call("DELETE", "/v1/users/probe-contact", aauth),
    ("/v1/segments", "post"): lambda: srv.call("POST", "/v1/segments", dict(wauth, **{"Content-Type": "application/json"}),
                                               json.dumps({"name": "probe", "definition": "score >= 0"})),
    ("/v1/segments", "get"): lambda: srv.call("GET", "/v1/segments", auth),
    ("/v1/segments/{name}", "get"): lambda: srv.call("GET", "/v1/segments/probe", auth),
    ("/v1/segments/{name}/members", "get"): lambda: srv.call("GET", "/v1/segments/probe/members?format=ndjson", auth),
    ("/v1/segments/{name}/diff", "get"): lambda: srv.call("GET", "/v1/segments/probe/diff", auth),
    ("/v1/segments/{name}", "delete"): lambda: srv.call("DELETE", "/v1/segments/probe", wauth),
    ("/v1/apikeys", "get"): lambda: srv.call("GET", "/v1/apikeys", aauth),
    ("/v1/apikeys", "post"): lambda: srv.call("POST", "/v1/apikeys", dict(aauth, **{"Content-Type": "application/json"}),
                                              json.dumps({"scope": "read", "label": "probe"})),
    ("/v1/apikeys/{id}", "delete"): lambda: srv.call("DELETE", "/v1/apikeys/" + probe_key_id(), aauth),
}
def probe_key_id():
    keys = json.loads(srv.call("GET", "/v1/apikeys", aauth)[2])["keys"]
    return [k["id"] for k in keys if k["label"] == "probe"][0]
documented = {(p, m) for p, ops in srv.spec["paths"].items() for m in ops}
assert documented == set(probes), ("routes without a probe", documented - set(probes), "probes of undocumented routes", set(probes) - documented)
for (p, m), probe in probes.items():
    got = probe()
    assert got[0] == 200, (p, m, got[0], got[2][:300])
    srv.check_answer(p, m, got)
# segments over HTTP: members equal the CLI's filter, diff right after creation is
# everyone, errors point at the column, names are checked, references block a drop
jw = dict(wauth, **{"Content-Type": "application/json"})
got = srv.call("POST", "/v1/segments", jw, json.dumps({"name": "act", "definition": 'tier in ("daily_active", "occasional")'}))
assert got[0] == 200, got[:3]
size = json.loads(got[2])["size"]
rows = srv.call("GET", "/v1/segments/act/members?format=csv&columns=user,tier", auth)[2].decode().splitlines()
assert rows[0] == "user,tier" and len(rows) - 1 == size and all(r.split(",")[1] in ("daily_active", "occasional") for r in rows[1:]), rows[:3]
diff = json.loads(srv.call("GET", "/v1/segments/act/diff", auth)[2])
assert len(diff["entered"]) == size and diff["left"] == [], diff
got = srv.call("POST", "/v1/segments", jw, json.dumps({"name": "bad", "definition": "tier = 'daily_active' and replyrate_30 > 1"}))
srv.error(got, 400, "bad_expression")
assert "line 1, col 27: unknown feature 'replyrate_30'; did you mean 'reply_rate_30'?" in json.loads(got[2])["error"]["message"]
srv.error(srv.call("POST", "/v1/segments", jw, json.dumps({"name": "Bad Name", "definition": "score > 1"})), 400, "bad_name")
srv.error(srv.call("POST", "/v1/segments", jw, json.dumps({"name": "act", "definition": "score > 1"})), 409, "conflict")
assert srv.call("POST", "/v1/segments", jw, json.dumps({"name": "act2", "definition": 'segment("act") and score > 10'}))[0] == 200
srv.error(srv.call("DELETE", "/v1/segments/act", wauth), 409, "conflict")
srv.error(srv.call("POST", "/v1/segments", dict(auth, **{"Content-Type": "application/json"}), "{}"), 403, "forbidden")
srv.error(srv.call("GET", "/v1/segments/nope", auth), 404, "unknown_segment")
srv.error(srv.call("GET", "/v1/segments/act/members?columns=nope", auth), 400, "bad_request")
assert srv.call("DELETE", "/v1/segments/act2", wauth)[0] == 200 and srv.call("DELETE", "/v1/segments/act", wauth)[0] == 200

# API keys while serving (admin): a new key works at once, a revoked one fails at once
got = srv.call("POST", "/v1/apikeys", dict(aauth, **{"Content-Type": "application/json"}),
               json.dumps({"scope": "write", "label": "made over http"}))
made = json.loads(got[2])
assert got[0] == 200 and made["key"].startswith("tms_" + made["id"]) and made["scope"] == "write", made
mauth = {"Authorization": "Bearer " + made["key"]}
assert srv.call("GET", "/v1/tiers", mauth)[0] == 200
srv.error(srv.call("GET", "/v1/apikeys", mauth), 403, "forbidden")
listed = json.loads(srv.call("GET", "/v1/apikeys", aauth)[2])["keys"]
assert made["id"] in [k["id"] for k in listed] and "tms_" not in json.dumps(listed), listed
assert srv.call("DELETE", "/v1/apikeys/" + made["id"], aauth)[0] == 200
srv.error(srv.call("GET", "/v1/tiers", mauth), 401, "unauthorized")
srv.error(srv.call("DELETE", "/v1/apikeys/ffffffff", aauth), 404, "unknown_key")
for bad in ('{"scope": "root"}', '[]', '{"scope": "read", "label": "%s"}' % ("x" * 80)):
    srv.error(srv.call("POST", "/v1/apikeys", dict(aauth, **{"Content-Type": "application/json"}), bad),
              400, "bad_request")
print("api ok")
PY
serve_stop
grep -q "SIGTERM, stopping" "$T/serve.err" || fail "no stop message: $(cat "$T/serve.err")"

# per-key rate limit: a burst of 2, then 429 for that key only
OTHER=$(tm "$D" apikey create --scope read 2>/dev/null)
serve_start "$D" "$T/serve2.err" --rate 0.2 --burst 2 --no-rescore
python3 - "$PORT" "$READ" "$OTHER" <<'PY' || fail "rate limit"
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
serve_stop
echo "ok"
