#!/usr/bin/env bash
# bench-gateway.sh measures the S3 backend (docs/GATEWAY.md): it starts a
# Sesame on a directory (target A, "direct") and a second Sesame whose
# objects live in the first one (target B, "gateway", --s3-backend), then
# runs the load generator (go run ./bench, docs/BENCH.md) against both,
# interleaved, for each MODE:SIZE given (default: GETs and PUTs of 4 KiB
# and 1 MiB, and a 256 MiB multipart upload and download).
#
#	scripts/bench-gateway.sh
#	scripts/bench-gateway.sh get:4KiB large-get:1GiB
#
# BENCH_FLAGS adds flags to every bench run (default "-d 5s -runs 3").
# Both servers get the root keys admin/adminsecret; the gateway signs its
# upstream requests with them. Everything lives in a temporary directory,
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(get:4KiB get:1MiB put:4KiB put:1MiB large-put:256MiB large-get:256MiB)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/sesame" ./cmd/sesame
go build -o "$tmp/bench" ./bench
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pa=$(free_port)
pb=$(free_port)
export MINIO_ROOT_USER=admin MINIO_ROOT_PASSWORD=adminsecret
"$tmp/sesame" server --address "127.0.0.1:$pa" --certs-dir "" "$tmp/direct" >"$tmp/direct.log" 2>&1 &
pids+=($!)
SESAME_S3_BACKEND_ACCESS_KEY=admin SESAME_S3_BACKEND_SECRET_KEY=adminsecret \
	"$tmp/sesame" server --address "127.0.0.1:$pb" --certs-dir "" \
	--s3-backend "http://127.0.0.1:$pa" --s3-backend-bucket-prefix gw- "$tmp/gateway" >"$tmp/gateway.log" 2>&1 &
pids+=($!)
for port in "$pa" "$pb"; do
	for _ in $(seq 100); do
		curl -fs "http://127.0.0.1:$port/minio/health/live" >/dev/null && break
		sleep 0.1
	done
done
for m in "${modes[@]}"; do
	echo "== ${m%%:*} ${m##*:}: A direct, B gateway"
	# shellcheck disable=SC2086
	"$tmp/bench" -a "http://127.0.0.1:$pa" -a-pid "${pids[0]}" -b "http://127.0.0.1:$pb" -b-pid "${pids[1]}" \
		-mode "${m%%:*}" -size "${m##*:}" ${BENCH_FLAGS:--d 5s -runs 3}
done
