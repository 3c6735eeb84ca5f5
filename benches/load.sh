#!/usr/bin/env bash
# Load tool for a RUNNING pcmh server: starts nothing itself.
#
#   benches/load.sh ADDR TOKEN ORGANIZATION_ID PRACTICE_ID [RUNS] [WRITES]   (WRITES 0: reads only)
#
# Measures (sequential, one client, keep-alive where curl allows):
#   1. GET /api/v1/organizations/{ORG}/compliance   (the PO matrix)        RUNS times
#   2. GET /api/v1/practices/{PRACTICE}/compliance  (one practice's view)  RUNS*4 times
#   3. POST /api/v1/practices/{PRACTICE}/trainings  WRITES times over one connection, then
#      with 4 connections in parallel; prints writes per second.
# Times are curl's time_total (request sent to last byte read), in milliseconds.
set -euo pipefail
addr=${1:?server address, e.g. 127.0.0.1:8080}
token=${2:?bearer token (admin or po_manager of the PO)}
org=${3:?organization id}
practice=${4:?practice id}
runs=${5:-10}
writes=${6:-500}
base="http://$addr/api/v1"
auth="Authorization: Bearer $token"

stats() { # reads milliseconds, one a line
  sort -n | awk '{a[NR]=$1; s+=$1} END {
    printf "n=%d min=%.1f median=%.1f p95=%.1f max=%.1f mean=%.1f ms\n",
      NR, a[1], a[int((NR+1)/2)], a[int(NR*0.95+0.999)], a[NR], s/NR }'
}

timed_get() { # url count
  for _ in $(seq 1 "$2"); do
    curl -sS -o /dev/null -H "$auth" -w '%{http_code} %{time_total}\n' "$1"
  done | awk '$1 != 200 { print "HTTP " $1 > "/dev/stderr"; exit 1 } { printf "%.3f\n", $2 * 1000 }'
}

# One warm-up each (fills the connection pool and the database's caches).
curl -sS -o /tmp/pcmh-matrix.json -H "$auth" "$base/organizations/$org/compliance"
echo "PO matrix: $(grep -o '"practice":{"id"' /tmp/pcmh-matrix.json | wc -l) practice rows, $(wc -c </tmp/pcmh-matrix.json) bytes"
echo -n "GET /organizations/$org/compliance:   "; timed_get "$base/organizations/$org/compliance" "$runs" | stats
echo -n "GET /practices/$practice/compliance:  "; timed_get "$base/practices/$practice/compliance" "$((runs * 4))" | stats
[ "$writes" -gt 0 ] || exit 0   # WRITES=0: reads only

# Writes: training records of one staff member of the practice, over one keep-alive connection.
staff=$(curl -sS -H "$auth" "$base/practices/$practice/staff?limit=1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
started=$(curl -sS -H "$auth" "$base/practices/$practice/staff/$staff" | grep -o '"started_on":"[0-9-]*"' | cut -d'"' -f4)
config=$(mktemp)
trap 'rm -f "$config"' EXIT
for i in $(seq 1 "$writes"); do
  day=$(date -d "$started + $((i % 300 + 1)) days" +%F)
  [[ "$day" > "$(date +%F)" ]] && day=$(date +%F)
  {
    [ "$i" -gt 1 ] && echo 'next'
    echo "url = \"$base/practices/$practice/trainings\""
    echo "header = \"$auth\""
    echo 'header = "Content-Type: application/json"'
    echo "data = \"{\\\"staff_id\\\":$staff,\\\"topic\\\":\\\"pcmh_n_model\\\",\\\"completed_on\\\":\\\"$day\\\",\\\"hours\\\":1.5}\""
    echo 'output = "/dev/null"'
    echo 'write-out = "%{http_code}\n"'
  } >>"$config"
done
for parallel in 1 4; do
  t0=$(date +%s.%N)
  if [ "$parallel" = 1 ]; then codes=$(curl -sS -K "$config"); else codes=$(curl -sS --no-progress-meter -Z --parallel-max 4 -K "$config"); fi
  t1=$(date +%s.%N)
  bad=$(echo "$codes" | grep -vc '^201$' || true)
  echo "POST /practices/$practice/trainings x$writes, $parallel connection(s): $(echo "$writes $t0 $t1" | awk '{printf "%.0f writes/s (%.2f ms each)", $1/($3-$2), ($3-$2)*1000/$1}'), non-201: $bad"
done
