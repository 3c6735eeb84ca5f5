#!/usr/bin/env bash
# Standards exports (OSCAL, FHIR), the packet that carries them, metrics, and optionally a backup,
# a restore and an audit check, against a RUNNING pcmh server (starts nothing itself).
#
#   benches/standards.sh ADDR TOKEN ORG PRACTICE SERVER_PID [PO_RUNS] [RUNS] [FROM] [TO]
#
# Prints curl's time_total and the answer's size for:
#   - GET /api/v1/organizations/{ORG}/compliance/oscal, PO_RUNS times (default 3), with the
#     server's VmRSS / VmHWM (peak resident memory, /proc/SERVER_PID/status) before the first and
#     after each (the first export is the one whose peak growth counts);
#   - GET /api/v1/practices/{PRACTICE}/compliance/oscal and
#     GET /api/v1/practices/{FHIR_PRACTICE}/care-plans/fhir?from=FROM&to=TO, RUNS times each
#     (default 20) after one warm-up: median, min, p95, max (FHIR_PRACTICE defaults to PRACTICE;
#     pass one with care plans in the period);
#   - POST /api/v1/practices/{PRACTICE}/packets for FROM..TO, PACKET_RUNS times (default 3), and
#     the sizes of the packet's oscal/ and fhir/ entries;
#   - GET http://METRICS_ADDR/metrics, RUNS times, if METRICS_ADDR is set (`serve --metrics-bind`).
# FROM..TO default to the year up to today (the period `pcmh demo generate --evidence-files N` fills).
#
# With BACKUP_DIR set it then runs `pcmh backup --to BACKUP_DIR` twice (the second into the same
# folder copies only new evidence files), then, with RESTORE_DATA_DIR set, `pcmh restore --from
# BACKUP_DIR --data-dir RESTORE_DATA_DIR` (and --database-url RESTORE_DATABASE_URL if set: an
# empty PostgreSQL database the caller made) and `pcmh audit verify` on the restored copy, timing
# each and printing its peak memory (GNU time). The backup reads the database and data folder from
# PCMH_DATABASE_URL / PCMH_DATA_DIR, as `pcmh` does. $PCMH is the binary (default
# target/release/pcmh). The exports are kept in ${OUT:-/tmp/pcmh-standards}.
set -euo pipefail
addr=${1:?server address, e.g. 127.0.0.1:8080}
token=${2:?bearer token (admin, or po_manager of the PO)}
org=${3:?PO id}
practice=${4:?practice id}
pid=${5:?the server process id, for its memory}
po_runs=${6:-3}
runs=${7:-20}
from=${8:-$(date -d '-1 year +1 day' +%F)}
to=${9:-$(date +%F)}
packet_runs=${PACKET_RUNS:-3}
pcmh=${PCMH:-target/release/pcmh}
out=${OUT:-/tmp/pcmh-standards}
api="http://$addr/api/v1"
mkdir -p "$out"

memory() { # prints "VmRSS=... VmHWM=..." in MB
  awk '/^VmRSS|^VmHWM/ { printf "%s=%.1f MB ", $1, $2 / 1024 }' "/proc/$pid/status" | sed 's/:=/=/g'
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
# get URL FILE [METHOD BODY]: prints "seconds bytes", fails unless 200
get() {
  local result code seconds bytes
  if [ $# -gt 2 ]; then
    result=$(curl -sS -X"$3" "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "$4" -o "$2" -w '%{http_code} %{time_total} %{size_download}')
  else
    result=$(curl -sS "$1" -H "Authorization: Bearer $token" -o "$2" -w '%{http_code} %{time_total} %{size_download}')
  fi
  read -r code seconds bytes <<<"$result"
  [ "$code" = 200 ] || { echo "HTTP $code for $1: $(head -c 300 "$2")" >&2; exit 1; }
  echo "$seconds $bytes"
}
# series NAME URL FILE: one warm-up, then RUNS timed requests; prints median, min, p95, max, size
series() {
  local name=$1 url=$2 file=$3 times=() seconds bytes
  get "$url" "$file" >/dev/null
  for _ in $(seq 1 "$runs"); do
    read -r seconds bytes < <(get "$url" "$file")
    times+=("$seconds")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk -v name="$name" -v bytes="$bytes" '
    { t[NR] = $1 * 1000 }
    END { p95 = int(NR * 0.95 + 0.5); if (p95 < 1) p95 = 1
          printf "%s: median %.1f ms (min %.1f, p95 %.1f, max %.1f) over %d, %d bytes\n",
                 name, (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[1], t[p95], t[NR], NR, bytes }'
}
# timed LABEL COMMAND...: runs it, prints wall time and peak memory
timed() {
  local label=$1 start end
  shift
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$out/time.txt" "$@" >"$out/command.txt" 2>&1 || { cat "$out/command.txt" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$label: $(echo "$start $end" | awk '{ printf "%.2f s", $2 - $1 }'), peak memory $(awk '{ printf "%.1f MB", $1 / 1024 }' "$out/time.txt")"
  sed 's/^/    | /' "$out/command.txt" | tail -n 5
}

get "$api/practices/$practice/compliance" "$out/view.json" >/dev/null
echo "server memory before: $(memory)"
for run in $(seq 1 "$po_runs"); do
  read -r seconds bytes < <(get "$api/organizations/$org/compliance/oscal" "$out/po-oscal.json")
  echo "PO OSCAL run $run: $(ms "$seconds"), $bytes bytes; server memory: $(memory)"
done
echo "PO OSCAL: $(jq '."assessment-results".results | length' "$out/po-oscal.json") results, $(jq '[."assessment-results".results[].findings // [] | length] | add' "$out/po-oscal.json") findings, $(jq '[."assessment-results".results[].observations // [] | length] | add' "$out/po-oscal.json") observations"

series "practice OSCAL" "$api/practices/$practice/compliance/oscal" "$out/practice-oscal.json"
fhir_practice=${FHIR_PRACTICE:-$practice}
series "practice $fhir_practice FHIR ($from to $to)" "$api/practices/$fhir_practice/care-plans/fhir?from=$from&to=$to" "$out/practice-fhir.json"
echo "practice FHIR: $(jq '.entry // [] | length' "$out/practice-fhir.json") entries ($(jq -r '[.entry // [] | .[].resource.resourceType] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$out/practice-fhir.json"))"

for run in $(seq 1 "$packet_runs"); do
  read -r seconds bytes < <(get "$api/practices/$practice/packets" "$out/packet.zip" POST "{\"from\":\"$from\",\"to\":\"$to\"}")
  echo "packet run $run: $(ms "$seconds"), $bytes bytes; server memory: $(memory)"
done
echo "packet: $(unzip -Z1 "$out/packet.zip" | grep -c '^evidence/' || true) evidence files, $(unzip -Z1 "$out/packet.zip" | wc -l) entries"
unzip -Zl "$out/packet.zip" | awk '$NF ~ /^(oscal|fhir)\// { printf "  %s: %d bytes (%d compressed)\n", $NF, $4, $6 }'

if [ -n "${METRICS_ADDR:-}" ]; then
  series "metrics" "http://$METRICS_ADDR/metrics" "$out/metrics.txt"
fi
echo "server memory after: $(memory)"

if [ -n "${BACKUP_DIR:-}" ]; then
  timed "backup (1st, into $BACKUP_DIR)" "$pcmh" backup --to "$BACKUP_DIR"
  echo "backup folder: $(du -sb "$BACKUP_DIR" | cut -f1) bytes, $(find "$BACKUP_DIR/files" -type f | wc -l) evidence files"
  timed "backup (2nd, same folder)" "$pcmh" backup --to "$BACKUP_DIR"
  echo "backup folder: $(du -sb "$BACKUP_DIR" | cut -f1) bytes, $(find "$BACKUP_DIR/files" -type f | wc -l) evidence files"
  if [ -n "${RESTORE_DATA_DIR:-}" ]; then
    target=(--data-dir "$RESTORE_DATA_DIR")
    [ -z "${RESTORE_DATABASE_URL:-}" ] || target+=(--database-url "$RESTORE_DATABASE_URL")
    timed "restore (into $RESTORE_DATA_DIR)" env -u PCMH_DATABASE_URL -u PCMH_DATA_DIR "$pcmh" restore --from "$BACKUP_DIR" "${target[@]}"
    timed "audit verify (restored copy)" env -u PCMH_DATABASE_URL -u PCMH_DATA_DIR "$pcmh" audit verify "${target[@]}"
  fi
fi
