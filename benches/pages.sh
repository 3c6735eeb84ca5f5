#!/usr/bin/env bash
# Measures every page of the web application on a RUNNING `pcmh serve --demo`: server time
# (curl's time to first byte, on loopback), the HTML's size, and the assets a first visit loads.
#
#   benches/pages.sh ADDR EMAIL PASSWORD PRACTICE_ID [RUNS]
#
# Each figure is printed beside its ceiling from the issue: server time under 50 ms, page
# weight (HTML + assets on a first visit, as sent: gzip) under 150 KB.
set -euo pipefail
addr=${1:?server address, e.g. 127.0.0.1:8080}
email=${2:?the email of an account}
password=${3:?its password}
practice=${4:?a practice id the account may open}
runs=${5:-20}
base="http://$addr"
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT

curl -sS -o /dev/null -c "$jar" --data-urlencode "email=$email" --data-urlencode "password=$password" \
  --data-urlencode "next=/" "$base/sign-in"

home=$(curl -sS -b "$jar" "$base/practices/$practice")
assets=0
for url in $(grep -o '/assets/[0-9a-f]*/[a-z.]*' <<<"$home" | sort -u); do
  size=$(curl -sS --compressed -o /dev/null -w '%{size_download}' "$base$url")
  assets=$((assets + size))
  echo "asset $url: $size bytes (cached for a year after the first page)"
done

printf '%-42s %10s %10s %10s %18s %s\n' page "median ms" "p95 ms" "max ms" "HTML bytes (gzip)" "first visit, sent (HTML + assets) / ceiling"
for path in "" /staff /trainings /meetings /care-plans /documents /surveys /packet /criteria/4.1 /criteria/4.22; do
  url="$base/practices/$practice$path"
  times=$(for _ in $(seq 1 "$runs"); do
    curl -sS --compressed -o /dev/null -b "$jar" -w '%{http_code} %{time_starttransfer}\n' "$url"
  done | awk '$1 != 200 { print "HTTP " $1 " for '"$url"'" > "/dev/stderr"; exit 1 } { printf "%.2f\n", $2 * 1000 }' | sort -n)
  size=$(curl -sS --compressed -o /dev/null -b "$jar" -w '%{size_download}' "$url")
  raw=$(curl -sS -o /dev/null -b "$jar" -w '%{size_download}' "$url")
  median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' <<<"$times")
  p95=$(awk '{a[NR]=$1} END {print a[int(NR*0.95+0.999)]}' <<<"$times")
  max=$(tail -n 1 <<<"$times")
  printf '%-42s %10s %10s %10s %18s %s\n' "/practices/$practice$path" "$median / 50" "$p95" "$max" "$raw ($size)" \
    "$(( (size + assets) / 1024 )) KB / 150 KB"
done
