#!/usr/bin/env bash
# Concurrent load on a RUNNING pcmh server, with wrk (Debian package `wrk`): starts no server.
#
#   benches/writes.sh ADDR TOKEN PRACTICE [SECONDS] [WRITE_POS]
#
#   1. GET /api/v1/practices/{PRACTICE}/staff/{first staff}   one record, 64 connections
#   2. GET /api/v1/practices/{PRACTICE}/compliance            one practice's view, 64 connections
#   3. POST /api/v1/practices/{P}/trainings                   one training record a request,
#      16 connections, round robin over the first practice of each of the first WRITE_POS POs
#      (default 1; `pcmh demo generate` run 16 times makes 16), each into a staff member still
#      employed.
#   4. With SQLITE_FILE=path/to/pcmh.sqlite3: SQLite's own durable commit rate on that disk,
#      before the reads and after the writes (python3's sqlite3, WAL, synchronous=FULL, one-row
#      transactions on one connection, in a scratch file beside it, after a 3-second warm-up),
#      for the ceiling "writes at least 50% of that rate".
#
# Each run lasts SECONDS (default 20) after a 3-second warm-up at the same load; wrk prints
# requests/s and the latency percentiles (--latency); non-2xx answers and requests over 10 s
# are counted by wrk and printed as ERRORS. Use the same server for all four, rate limits off
# (--rate-limit-per-minute 0 --rate-limit-per-address-per-minute 0).
set -euo pipefail
addr=${1:?server address, e.g. 127.0.0.1:8080}
token=${2:?bearer token (admin)}
practice=${3:?practice id for the reads}
seconds=${4:-20}
write_pos=${5:-1}
base="http://$addr/api/v1"
auth="Authorization: Bearer $token"
threads=2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

json_ids() { grep -o '"id":[0-9]*' | cut -d: -f2; }

# A staff member of PRACTICE still employed today (no ended_on), for the reads and writes.
current_staff() { # practice
  curl -fsS -H "$auth" "$base/practices/$1/staff?limit=500" | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(next(s["id"] for s in items if not s.get("ended_on")))'
}

run() { # label connections url [lua script]
  local label=$1 connections=$2 url=$3 script=${4:-}
  local args=(-t "$threads" -c "$connections" -H "$auth" --latency --timeout 10s)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" -d 3s "$url" >/dev/null
  wrk "${args[@]}" -d "${seconds}s" "$url" >"$work/out"
  local rps p50 p99 max bad
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/out")
  p50=$(awk '$1 == "50%" {print $2}' "$work/out")
  p99=$(awk '$1 == "99%" {print $2}' "$work/out")
  max=$(awk '$1 == "Latency" {print $4}' "$work/out")
  bad=$(awk '/Non-2xx/ {print "non-2xx: " $NF} /Socket errors/ {print}' "$work/out")
  printf '%-44s %3s conn: %9s req/s  p50 %8s  p99 %8s  max %8s  %s\n' \
    "$label" "$connections" "$rps" "$p50" "$p99" "$max" "${bad:+ERRORS: $bad}"
  if [ -n "$bad" ]; then cat "$work/out" >&2; fi
}

# SQLite's own durable commit rate on the disk of SQLITE_FILE (see 4. above).
commit_rate() { # label
  [ -n "${SQLITE_FILE:-}" ] || return 0
  echo -n "$1: "
  python3 - "$(dirname "$SQLITE_FILE")/commit-rate-scratch.sqlite3" "$seconds" <<'PY'
import os, sqlite3, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, staff_id INTEGER, topic TEXT, completed_on TEXT, hours REAL)")
def commit_for(seconds):
    n, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (staff_id, topic, completed_on, hours) VALUES (?, 'pcmh_n_model', '2026-11-29', 1.5)", (n,))
        db.execute("COMMIT")
        n += 1
    return n, time.monotonic() - start
commit_for(3)  # warm-up, as the server's: the log file grown and checkpointed once
n, elapsed = commit_for(seconds)
db.close()
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
print(f"SQLite's own durable commits (WAL, synchronous=FULL, one row each): {n / elapsed:.0f}/s")
PY
}

commit_rate "before the load"
staff=$(current_staff "$practice")
run "GET practices/$practice/staff/$staff" 64 "$base/practices/$practice/staff/$staff"
run "GET practices/$practice/compliance" 64 "$base/practices/$practice/compliance"

# Writes: the first practice of each PO named, and a current staff member of each.
targets=()
for org in $(curl -fsS -H "$auth" "$base/organizations?limit=$write_pos" | python3 -c '
import json, sys
print(" ".join(str(o["id"]) for o in json.load(sys.stdin)["items"]))'); do
  p=$(curl -fsS -H "$auth" "$base/organizations/$org/practices?limit=1" | json_ids | head -1)
  targets+=("$p:$(current_staff "$p")")
done
today=$(date -u +%F)
{
  echo "local targets = {"
  for t in "${targets[@]}"; do echo "  {${t%%:*}, ${t##*:}},"; done
  echo "}"
  cat <<LUA
local n = 0
function setup(thread) thread:set("offset", #targets > 1 and math.random(#targets) or 0) end
request = function()
  n = n + 1
  local t = targets[(n + offset) % #targets + 1]
  local headers = {["Content-Type"] = "application/json"}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  return wrk.format("POST", "/api/v1/practices/" .. t[1] .. "/trainings", headers,
    '{"staff_id":' .. t[2] .. ',"topic":"pcmh_n_model","completed_on":"$today","hours":1.5}')
end
LUA
} >"$work/writes.lua"
run "POST trainings over ${#targets[@]} PO(s)" 16 "$base/practices/${targets[0]%%:*}/trainings" "$work/writes.lua"
commit_rate "after the load"
