#!/usr/bin/env bash
# The PO views read from kept evaluations (issue 13), on a generated database: STARTS AND STOPS
# its own `pcmh serve` (four times), unlike load.sh and standards.sh. It writes 6 training records
# into PRACTICE and 3 member-list reports into the PO each run.
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
#   2. catch-up: a server with the worker on (every 2 s) and no request; the time until every
#      practice and the PO have a current kept evaluation for every kept day (polled in the
#      database), the server's CPU time and memory; then its CPU use with nothing to do.
#   3. warm: a fresh server on the kept evaluations (worker on, every 2 s):
#      - the server's memory (VmRSS, VmHWM from /proc/PID/status) idle;
#      - one client: the PO matrix (load.sh with WRITES 0, with PRACTICE's own view, then again
#        here), the 12-month trend, the due list within=60, RUNS times each after a warm-up:
#        median, p95 (curl time_total) and the server's CPU time per request (/proc/PID/stat);
#      - 8 clients reading the PO matrix for SECONDS (curl --parallel, connections kept): req/s,
#        median, p99, the highest VmRSS seen (sampled every 0.2 s) and VmHWM; VmRSS 5 s after;
#      - one training record written into PRACTICE, then at once the PO matrix, 3 times, each
#        time waiting until the worker has made every kept day current again;
#      - one PO-level write (a PO member-list report for this month), then the PO matrix, twice;
#      - ?as_known_on=<today> (computed from every record, bounded by --heavy-views), 3 times.
#   4. the same writes on a server with the worker off: what the read itself computes.
# Each answer's wall time, the server's CPU time and memory are printed beside it.
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
  local sql='DELETE FROM kept_practice_due_lists; DELETE FROM kept_practice_evaluations; DELETE FROM kept_organization_evaluations;'
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
sql() { # a query on the database, unaligned output
  if [ -n "${PCMH_DATABASE_URL:-}" ]; then psql -Atq "$PCMH_DATABASE_URL" -c "$1"
  else sqlite3 "$PCMH_DATA_DIR/pcmh.sqlite3" "$1"; fi
}
# How many (practice, day) and (PO, day) pairs of the days kept so far have no current kept
# evaluation, and how many days are kept ("-1" while fewer than 13: the worker keeps today and
# the last 12 month ends).
missing_kept() {
  sql "SELECT CASE WHEN (SELECT count(DISTINCT day) FROM kept_practice_evaluations) < 13 THEN -1 ELSE
    (SELECT count(*) FROM practices p CROSS JOIN (SELECT DISTINCT day FROM kept_practice_evaluations) d
      WHERE NOT EXISTS (SELECT 1 FROM kept_practice_evaluations k WHERE k.practice_id = p.id
        AND k.day = d.day AND k.records_revision = p.records_revision))
    + (SELECT count(*) FROM organizations o CROSS JOIN (SELECT DISTINCT day FROM kept_practice_evaluations) d
      WHERE NOT EXISTS (SELECT 1 FROM kept_organization_evaluations k WHERE k.organization_id = o.id
        AND k.day = d.day AND k.records_revision = o.records_revision)) END"
}
# Waits until every kept day of every practice and PO is current again; prints the seconds waited.
wait_current() {
  local t0 now
  t0=$(date +%s.%N)
  until [ "$(missing_kept)" = 0 ]; do
    sleep 0.5
    now=$(date +%s)
    [ $((now - ${t0%.*})) -lt 1200 ] || { echo "still not current after 20 minutes" >&2; exit 1; }
  done
  echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f s", $2 - $1 }'
}
ticks=$(getconf CLK_TCK)
cpu() { awk -v hz="$ticks" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$server/stat"; }
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
series() { # label url: one warm-up, then RUNS requests; wall time and the server's CPU time
  once "$2" >/dev/null
  local bytes c0 times
  bytes=$(wc -c <"$out/answer")
  c0=$(cpu)
  times=$(for _ in $(seq 1 "$runs"); do once "$2" | cut -d' ' -f1; done | stats)
  echo "$1: $times ms, $bytes bytes; server CPU $(( ($(cpu) - c0) / runs )) ms a request"
}
after() { # label url: one request, its wall and server CPU time, the memory after
  local c0 ms bytes
  c0=$(cpu)
  read -r ms bytes < <(once "$2")
  echo "$1: $ms ms (server CPU $(( $(cpu) - c0 )) ms), $bytes bytes; $(memory)"
}
matrix="$api/organizations/$org/compliance"

load() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%TZ)"; }

echo "== 1. cold matrix, worker off ($(load))"
reset_kept
start_server 0
echo "idle: $(memory)"
after "first matrix (every practice and the PO-level criteria computed)" "$matrix"
after "second matrix (kept)" "$matrix"
stop_server

echo "== 2. worker catch-up after generation, no requests ($(load))"
reset_kept
start_server 2 debug
c0=$(cpu)
echo "every kept day current after $(wait_current) (from the server's start + ~0.3 s); server CPU $(( ($(cpu) - c0) / 1000 )) s; $(memory)"
grep 'kept evaluations refreshed' "$out/server.log" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(practices|organizations)=/) s[substr($i, 1, 1)] += substr($i, index($i, "=") + 1) }
  END { printf "  %d passes: %d practice evaluations and %d PO-level ones kept\n", NR, s["p"], s["o"] }'
c0=$(cpu); sleep 10
echo "worker with nothing to do: server CPU $(( ($(cpu) - c0) / 10 )) ms a second"
stop_server

echo "== 3. warm server, worker on ($(load))"
start_server 2 debug
wait_current >/dev/null
sleep 2
echo "idle: $(memory)"
idle_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$server/status")
"$here/load.sh" "$addr" "$token" "$org" "$practice" "$runs" 0
series "PO matrix" "$matrix"
series "trend, 12 months" "$api/organizations/$org/compliance/trend"
series "due within=60" "$api/organizations/$org/due?within=60"
echo "after one client ($(load)): $(memory)"

config="$out/parallel.curl"
for i in $(seq 1 200); do
  [ "$i" = 1 ] || echo next
  echo "url = \"$matrix\""; echo "header = \"$auth\""; echo 'output = "/dev/null"'
  echo 'write-out = "%{http_code} %{time_total}\n"'
done >"$config"
(while kill -0 "$server" 2>/dev/null; do awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; sleep 0.2; done) >"$out/rss" &
sampler=$!
c0=$(cpu)
t0=$(date +%s.%N)
: >"$out/times"
while [ "$(echo "$t0 $(date +%s.%N) $seconds" | awk '{ print ($2 - $1 < $3) }')" = 1 ]; do
  curl -sS --no-progress-meter -Z --parallel-max 8 -K "$config" >>"$out/times" || true
done
t1=$(date +%s.%N)
c1=$(cpu)
kill "$sampler"
bad=$(grep -vc '^200 ' "$out/times" || true)
n=$(wc -l <"$out/times")
echo "8 clients, PO matrix, $(echo "$t0 $t1" | awk '{ printf "%.1f s", $2 - $1 }') ($(load)): $(echo "$n $t0 $t1" | awk '{ printf "%.1f req/s", $1 / ($3 - $2) }'), $(awk '{ printf "%.3f\n", $2 * 1000 }' "$out/times" | stats) ms, non-200: $bad; server CPU $(( (c1 - c0) / n )) ms a request"
echo "  during: highest VmRSS $(sort -n "$out/rss" | tail -1 | awk '{ printf "%.1f MB", $1 / 1024 }'); $(memory)"
sleep 5
echo "  5 s after: $(memory)(idle was $(awk -v k="$idle_rss" 'BEGIN { printf "%.1f MB", k / 1024 }'))"

staff=$(curl -fsS -H "$auth" "$api/practices/$practice/staff?limit=500" | python3 -c '
import json, sys
print(next(s["id"] for s in json.load(sys.stdin)["items"] if not s.get("ended_on")))')
write_training() {
  local code
  code=$(curl -sS -o "$out/answer" -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"staff_id\":$staff,\"topic\":\"pcmh_n_model\",\"completed_on\":\"$today\",\"hours\":1.5}" "$api/practices/$practice/trainings")
  [ "$code" = 201 ] || { echo "training write: HTTP $code $(head -c 300 "$out/answer")" >&2; exit 1; }
}
month_start=$(date -u +%Y-%m-01)
month_end=$(date -u -d "$month_start +1 month -1 day" +%F)
write_report() {
  local code
  code=$(curl -sS -o "$out/answer" -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"report_type\":\"member_list\",\"period_start\":\"$month_start\",\"period_end\":\"$month_end\"}" "$api/organizations/$org/reports")
  [ "$code" = 201 ] || { echo "PO report write: HTTP $code $(head -c 300 "$out/answer")" >&2; exit 1; }
}
for i in 1 2 3; do
  write_training
  after "matrix right after a training record in practice $practice ($i, $(load))" "$matrix"
  echo "  every kept day current again after $(wait_current); $(memory)"
done
for i in 1 2; do
  write_report
  after "matrix right after a PO member-list report ($i, $(load))" "$matrix"
  echo "  every kept day current again after $(wait_current); $(memory)"
done
for i in 1 2 3; do
  after "matrix ?as_known_on=$today ($i, $(load))" "$matrix?as_known_on=$today"
done
stop_server

echo "== 4. the same writes with the worker off: what the read computes ($(load))"
start_server 0
sleep 1
echo "idle: $(memory)"
for i in 1 2 3; do
  write_training
  after "matrix right after a training record in practice $practice ($i)" "$matrix"
  after "  the next matrix" "$matrix"
done
write_report
after "matrix right after a PO member-list report" "$matrix"
after "  the next matrix" "$matrix"
stop_server
echo "== done ($(load))"
