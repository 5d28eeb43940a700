"""make_batches.py — NDJSON bodies for the POST /v1/events benchmark: BATCHES batches
of SIZE events for random existing users (u0000001..uUSERS) on the generator's
platforms and kinds, timestamps in the DAYS days before END, no ids (the server names
each event by a hash of its bytes, so every record is new). Batches are separated by
a line "--". Usage: make_batches.py OUT USERS BATCHES SIZE END DAYS SEED"""
import datetime
import json
import random
import sys

out, users, batches, size, end, days, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), \
    sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
rng = random.Random(seed)
end_ms = int(datetime.datetime.fromisoformat(end + "T00:00:00+00:00").timestamp() * 1000)
span = days * 86400000
kinds = ["online"] * 5 + ["message_sent"] * 3 + ["read"] * 3 + ["reply", "click", "view", "delivered", "outbound_sent"]
platforms = ["telegram", "zalo", "whatsapp", "line", "messenger"]
with open(out, "w") as f:
    for _ in range(batches):
        for _ in range(size):
            f.write('{"ts":%d,"user":"u%07d","platform":"%s","kind":"%s"}\n' % (
                end_ms - rng.randrange(span), rng.randint(1, users), rng.choice(platforms), rng.choice(kinds)))
        f.write("--\n")
