#!/usr/bin/env bash
# The PO views read from kept evaluations (issue 13), on a generated database: STARTS AND STOPS
# its own `pcmh serve` (three times), unlike load.sh and standards.sh.
#
#   benches/kept.sh PORT ORG PRACTICE [RUNS] [SECONDS]
#
# The database is the one `pcmh` finds in PCMH_DATABASE_URL / PCMH_DATA_DIR (as made by
# `pcmh demo generate --practices 1000 --years 5`); $PCMH is the binary (default
# target/release/pcmh). The kept evaluations are deleted (sqlite3 or psql) before steps 1 and 2,
# so every run starts from records only, as right after generation.
#
#   1. cold: a server with the worker off (--refresh-kept-every 0); the first PO matrix computes
#      every practice and the PO-level criteria; then the same request again (now kept).
#   2. catch-up: a server with the worker on (every 2 s, --log-level debug) and no request; the
#      time from the server's start to the last "kept evaluations refreshed" pass (none for 8 s
#      after it), with its peak memory.
#   3. warm: a fresh server on the now kept evaluations (worker on, every 2 s):
#      - the server's memory (VmRSS, VmHWM from /proc/PID/status) idle;
#      - one client: the PO matrix (via load.sh, with PRACTICE's own view), the 12-month trend,
#        the due list within=60, RUNS times each after a warm-up: median, p95 (curl time_total);
#      - 8 clients reading the PO matrix for SECONDS (curl --parallel, connections kept): req/s,
#        median, p99, the highest VmRSS seen (sampled every 0.2 s) and VmHWM; VmRSS 5 s after;
#      - one training record written into PRACTICE, then at once the PO matrix (that practice
#        re-evaluated on the read, unless the worker got there first), 5 times;
#      - one PO-level write (a PO member-list report), then at once the PO matrix, 3 times;
#      - ?as_known_on=<today> (computed from every record, bounded by --heavy-views), 3 times;
#      each with the server's memory after it.
# Rate limits are off for the run. Times are in milliseconds.
set -euo pipefail
port=${1:?port for the servers, e.g. 18471}
org=${2:?PO id}
practice=${3:?practice id (a training record is written into it)}
runs=${4:-20}
seconds=${5:-30}
pcmh=${PCMH:-target/release/pcmh}
here=$(dirname "$0")
out=${OUT:-/tmp/pcmh-kept}
mkdir -p "$out"
addr=127.0.0.1:$port
api="http://$addr/api/v1"
today=$(date -u +%F)
: "${PCMH_DATA_DIR:?PCMH_DATA_DIR must name the data folder}"

token=$("$pcmh" token create --role admin 2>/dev/null | grep -o 'pcmh_[0-9a-z_]*')
auth="Authorization: Bearer $token"

reset_kept() {
  local sql='DELETE FROM kept_practice_evaluations; DELETE FROM kept_organization_evaluations;'
  if [ -n "${PCMH_DATABASE_URL:-}" ]; then psql -q "$PCMH_DATABASE_URL" -c "$sql"
  else sqlite3 "$PCMH_DATA_DIR/pcmh.sqlite3" "$sql"; fi
}
server=
start_server() { # every [log level]
  "$pcmh" serve --bind "$addr" --refresh-kept-every "$1" --log-level "${2:-info}" \
    --rate-limit-per-minute 0 --rate-limit-per-address-per-minute 0 2>"$out/server.log" &
  server=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://$addr/readyz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the server did not start:" >&2; cat "$out/server.log" >&2; exit 1
}
# Waits until the worker has logged a pass (beyond the count given) and then none for 8 s.
wait_quiet() { # [passes already logged]
  local last=${1:-0} passes quiet_until=0 give_up=$(($(date +%s) + 900))
  while [ "$(date +%s)" -lt "$give_up" ]; do
    passes=$(grep -c 'kept evaluations refreshed' "$out/server.log" || true)
    if [ "$passes" -gt "${1:-0}" ] && [ "$passes" = "$last" ] && [ "$(date +%s)" -ge "$quiet_until" ]; then break; fi
    if [ "$passes" != "$last" ]; then last=$passes; quiet_until=$(($(date +%s) + 8)); fi
    sleep 0.5
  done
}
passes() { grep -c 'kept evaluations refreshed' "$out/server.log" || true; }
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }
trap '[ -z "$server" ] || kill "$server"' EXIT

memory() { awk '/^VmRSS|^VmHWM/ { printf "%s %.1f MB  ", $1, $2 / 1024 }' "/proc/$server/status"; }
stats() { # milliseconds, one a line -> median p95 p99 min max n
  sort -g | awk '{ t[NR] = $1 } END {
    printf "median %.1f (min %.1f, p95 %.1f, p99 %.1f, max %.1f) over %d",
      (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[1],
      t[int(NR * 0.95 + 0.999)], t[int(NR * 0.99 + 0.999)], t[NR], NR }'
}
once() { # url -> "ms bytes", fails unless 200
  local code seconds bytes
  read -r code seconds bytes < <(curl -sS -o "$out/answer" -H "$auth" -w '%{http_code} %{time_total} %{size_download}\n' "$1")
  [ "$code" = 200 ] || { echo "HTTP $code for $1: $(head -c 300 "$out/answer")" >&2; exit 1; }
  awk -v s="$seconds" -v b="$bytes" 'BEGIN { printf "%.1f %d\n", s * 1000, b }'
}
series() { # label url
  once "$2" >/dev/null
  local bytes
  bytes=$(wc -c <"$out/answer")
  echo "$1: $(for _ in $(seq 1 "$runs"); do once "$2" | cut -d' ' -f1; done | stats) ms, $bytes bytes"
}
matrix="$api/organizations/$org/compliance"

echo "== 1. cold matrix, worker off ($(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg))"
reset_kept
start_server 0
echo "idle: $(memory)"
read -r ms bytes < <(once "$matrix")
echo "first matrix (every practice computed): $ms ms, $bytes bytes; $(memory)"
read -r ms bytes < <(once "$matrix")
echo "second matrix (kept): $ms ms; $(memory)"
stop_server

echo "== 2. worker catch-up after generation, no requests ($(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg))"
reset_kept
started=$(date +%s.%N)
start_server 2 debug
wait_quiet
done_at=$(grep 'kept evaluations refreshed' "$out/server.log" | tail -1 | cut -d' ' -f1)
echo "catch-up: $(echo "$started $(date -d "$done_at" +%s.%N)" | awk '{ printf "%.1f s", $2 - $1 }') from start to the last of $(passes) passes; $(memory)"
grep 'kept evaluations refreshed' "$out/server.log" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(practices|organizations|forgotten)=/) s[$i ~ /^p/ ? "p" : $i ~ /^o/ ? "o" : "f"] += substr($i, index($i, "=") + 1) }
  END { printf "  kept: %d practice evaluations, %d PO-level, %d forgotten\n", s["p"], s["o"], s["f"] }'
read -r ms bytes < <(once "$matrix")
echo "first matrix after the catch-up: $ms ms"
stop_server

echo "== 3. warm server, worker on ($(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg))"
start_server 2 debug
sleep 3
echo "idle: $(memory)"
idle_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$server/status")
"$here/load.sh" "$addr" "$token" "$org" "$practice" "$runs" 0
series "trend, 12 months" "$api/organizations/$org/compliance/trend"
series "due within=60" "$api/organizations/$org/due?within=60"
echo "after one client: $(memory)"

config="$out/parallel.curl"
for i in $(seq 1 200); do
  echo "url = \"$matrix\""; echo "header = \"$auth\""; echo 'output = "/dev/null"'
  echo 'write-out = "%{http_code} %{time_total}\n"'; echo next
done >"$config"
(while kill -0 "$server" 2>/dev/null; do awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; sleep 0.2; done) >"$out/rss" &
sampler=$!
t0=$(date +%s.%N)
: >"$out/times"
while [ "$(echo "$t0 $(date +%s.%N) $seconds" | awk '{ print ($2 - $1 < $3) }')" = 1 ]; do
  curl -sS -Z --parallel-max 8 -K "$config" >>"$out/times"
done
t1=$(date +%s.%N)
kill "$sampler"
bad=$(grep -vc '^200 ' "$out/times" || true)
n=$(wc -l <"$out/times")
echo "8 clients, PO matrix, $(echo "$t0 $t1" | awk '{ printf "%.1f s", $2 - $1 }'): $(echo "$n $t0 $t1" | awk '{ printf "%.1f req/s", $1 / ($3 - $2) }'), $(awk '{ printf "%.3f\n", $2 * 1000 }' "$out/times" | stats) ms, non-200: $bad"
echo "  during: highest VmRSS $(sort -n "$out/rss" | tail -1 | awk '{ printf "%.1f MB", $1 / 1024 }'); $(memory)"
sleep 5
echo "  5 s after: $(memory)(idle was $(awk -v k="$idle_rss" 'BEGIN { printf "%.1f MB", k / 1024 }'))"

staff=$(curl -fsS -H "$auth" "$api/practices/$practice/staff?limit=500" | python3 -c '
import json, sys
print(next(s["id"] for s in json.load(sys.stdin)["items"] if not s.get("ended_on")))')
for i in 1 2 3 4 5; do
  code=$(curl -sS -o "$out/answer" -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"staff_id\":$staff,\"topic\":\"pcmh_n_model\",\"completed_on\":\"$today\",\"hours\":1.5}" "$api/practices/$practice/trainings")
  [ "$code" = 201 ] || { echo "training write: HTTP $code $(head -c 300 "$out/answer")" >&2; exit 1; }
  read -r ms bytes < <(once "$matrix")
  echo "matrix right after a training record in practice $practice ($i): $ms ms; $(memory)"
  sleep 4
done
month_start=$(date -u +%Y-%m-01)
month_end=$(date -u -d "$month_start +1 month -1 day" +%F)
for i in 1 2 3; do
  before=$(passes)
  code=$(curl -sS -o "$out/answer" -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"report_type\":\"member_list\",\"period_start\":\"$month_start\",\"period_end\":\"$month_end\"}" "$api/organizations/$org/reports")
  [ "$code" = 201 ] || { echo "PO report write: HTTP $code $(head -c 300 "$out/answer")" >&2; exit 1; }
  read -r ms bytes < <(once "$matrix")
  echo "matrix right after a PO member-list report ($i): $ms ms; $(memory)"
  t=$(date +%s.%N); wait_quiet "$before"
  echo "  the worker made the other days current again in $(echo "$t $(date +%s.%N)" | awk '{ printf "%.0f s", $2 - $1 - 8 }'); $(memory)"
done
for i in 1 2 3; do
  read -r ms bytes < <(once "$matrix?as_known_on=$today")
  echo "matrix ?as_known_on=$today ($i): $ms ms, $bytes bytes; $(memory)"
done
stop_server
