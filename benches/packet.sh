#!/usr/bin/env bash
# Packet measurement against a RUNNING pcmh server (starts nothing itself).
#
#   benches/packet.sh ADDR TOKEN PRACTICE_ID SERVER_PID [RUNS] [FROM] [TO]
#
# Exports POST /api/v1/practices/{PRACTICE}/packets for FROM..TO (default: the year up to today,
# the period `pcmh demo generate --evidence-files N` fills) RUNS times (default 5), printing
# curl's time_total for each, the packet's size and number of evidence files, and the server's
# VmRSS / VmHWM (peak resident memory) from /proc/SERVER_PID/status before the first export and
# after the last. Then times `pcmh packet verify` on the last packet ($PCMH, default
# target/release/pcmh). The packet is kept in ${PACKET:-/tmp/pcmh-packet.zip}.
set -euo pipefail
addr=${1:?server address, e.g. 127.0.0.1:8080}
token=${2:?bearer token (admin, po_manager or auditor of the practice)}
practice=${3:?practice id}
pid=${4:?the server process id, for its memory}
runs=${5:-5}
from=${6:-$(date -d '-1 year +1 day' +%F)}
to=${7:-$(date +%F)}
pcmh=${PCMH:-target/release/pcmh}
out=${PACKET:-/tmp/pcmh-packet.zip}
url="http://$addr/api/v1/practices/$practice/packets"

memory() { # prints "VmRSS=... VmHWM=..." in MB
  awk '/^VmRSS|^VmHWM/ { printf "%s=%.1f MB ", $1, $2 / 1024 }' "/proc/$pid/status" | sed 's/:=/=/g'
}

echo "server memory before: $(memory)"
for run in $(seq 1 "$runs"); do
  result=$(curl -sS -XPOST "$url" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"from\":\"$from\",\"to\":\"$to\"}" -o "$out" -w '%{http_code} %{time_total} %{size_download}')
  read -r code seconds bytes <<<"$result"
  [ "$code" = 200 ] || { echo "HTTP $code: $(head -c 300 "$out")" >&2; exit 1; }
  echo "run $run: $(awk -v s="$seconds" 'BEGIN { printf "%.0f ms", s * 1000 }'), $bytes bytes; server memory: $(memory)"
done
files=$(unzip -Z1 "$out" | grep -c '^evidence/' || true)
echo "packet: $files evidence files, $(unzip -Z1 "$out" | wc -l) entries, $(stat -c %s "$out") bytes ($from to $to)"
echo "server memory after $runs export(s): $(memory)"
start=$(date +%s.%N)
"$pcmh" packet verify "$out"
end=$(date +%s.%N)
echo "pcmh packet verify: $(echo "$start $end" | awk '{ printf "%.0f ms", ($2 - $1) * 1000 }')"
