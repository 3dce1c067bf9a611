#!/usr/bin/env bash
# perf.sh regenerates the measured tables of docs/PERFORMANCE.md with the
# repository's load generator (go run ./bench, docs/BENCH.md): every mode
# against the bare net/http floor, then against MinIO when a MinIO binary is
# given, then large objects and a plain cp + sync of the same file.
#
#   scripts/perf.sh [-minio BIN] [-d 5s] [-runs 3] [-out FILE]
#
# It prints Markdown (the bench's -md output, one section per command) to
# FILE (default: standard output). Run it on a quiet machine: CPU/op is the
# server's own, but the rates are the machine's as a whole.
set -euo pipefail
cd "$(dirname "$0")/.."

minio="" dur=5s runs=3 out=/dev/stdout
while [ $# -gt 0 ]; do
  case "$1" in
    -minio) minio="$2"; shift 2 ;;
    -d) dur="$2"; shift 2 ;;
    -runs) runs="$2"; shift 2 ;;
    -out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [-minio BIN] [-d 5s] [-runs 3] [-out FILE]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rep="$work/report.md"
go build -o "$work/bench" ./bench
go build -o "$work/sesame" ./cmd/sesame

run() { # run TITLE ARGS...: one bench invocation as a section of the report
  local title="$1"; shift
  rm -rf "$work/s" "$work/m"; mkdir -p "$work/s" "$work/m"
  echo "### $title" >>"$rep"
  echo >>"$rep"
  # The command as a user re-runs it (go run, no temporary paths).
  "$work/bench" -md -sesame-bin "$work/sesame" "$@" 2>>"$work/progress.log" |
    sed -e "s#^    $work/bench#    go run ./bench#" -e "s# -sesame-bin $work/sesame##" \
        -e "s#$work/s#/tmp/sesame-data#g" -e "s#$work/m#/tmp/minio-data#g" >>"$rep" || true
}

: >"$rep"
echo "## Against the floor (a bare net/http handler), $(date -u +%Y-%m-%d), $(git rev-parse --short HEAD)" >>"$rep"
echo >>"$rep"
for m in anon assume-role web-identity client-grants; do
  run "$m vs the floor" -a floor -start-sesame "$work/s" -mode "$m" -d "$dur" -runs "$runs"
done
run "get 4KiB, static keys, vs the floor" -a floor -start-sesame "$work/s" -mode get -size 4KiB -d "$dur" -runs "$runs"
run "get 4KiB, temporary keys, vs the floor" -a floor -start-sesame "$work/s" -mode get -size 4KiB -keys temp -d "$dur" -runs "$runs"

if [ -n "$minio" ]; then
  echo "## Against MinIO ($("$minio" --version 2>/dev/null | head -1))" >>"$rep"
  echo >>"$rep"
  for m in anon assume-role web-identity client-grants; do
    run "$m, MinIO (A) vs Sesame (B)" -a minio -b sesame -start-minio "$minio" -minio-dir "$work/m" -start-sesame "$work/s" -mode "$m" -d "$dur" -runs "$runs"
  done
  for keys in static temp; do
    run "get 4KiB, $keys keys, MinIO (A) vs Sesame (B)" -a minio -b sesame -start-minio "$minio" -minio-dir "$work/m" -start-sesame "$work/s" -mode get -size 4KiB -keys "$keys" -d "$dur" -runs "$runs"
  done
  for m in large-put large-get; do
    run "$m 256MiB (16 MiB parts, 8 threads), MinIO (A) vs Sesame (B)" -a minio -b sesame -start-minio "$minio" -minio-dir "$work/m" -start-sesame "$work/s" -mode "$m" -size 256MiB -runs "$runs"
  done
else
  echo "## Against MinIO: no MinIO binary given (-minio BIN), not measured" >>"$rep"
  echo >>"$rep"
  for m in large-put large-get; do
    run "$m 256MiB (16 MiB parts, 8 threads)" -start-sesame "$work/s" -mode "$m" -size 256MiB -runs "$runs"
  done
fi

# The disk's own speed for the same bytes: write and fsync a 256 MiB file,
# then read it back after dropping it from the page cache when allowed.
head -c 268435456 /dev/urandom >"$work/src"
sync
t0=$(date +%s.%N); cp "$work/src" "$work/dst"; sync "$work/dst"; t1=$(date +%s.%N)
echo "### cp + sync of a 256 MiB file on the same disk" >>"$rep"
echo >>"$rep"
echo "    cp src dst && sync dst: $(echo "$t0 $t1" | awk '{printf "%.2f s, %.0f MiB/s", $2-$1, 256/($2-$1)}')" >>"$rep"
t0=$(date +%s.%N); cat "$work/dst" >/dev/null; t1=$(date +%s.%N)
echo "    cat dst >/dev/null (page cache warm): $(echo "$t0 $t1" | awk '{printf "%.2f s, %.0f MiB/s", $2-$1, 256/($2-$1)}')" >>"$rep"
echo >>"$rep"
cat "$rep" >"$out"
