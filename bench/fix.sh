#!/usr/bin/env bash
# Measures `zerodrop fix --dry-run` on the stream of bench/check.sh (12,551
# documents, about 10 MB) against `zerodrop check` on the same stream, run
# alternately so both see the same machine. Target: fix under 3x check.
# Prints the best of RUNS runs (default 5) of each, as text and JSON output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/zerodrop" ./cmd/zerodrop
go build -o "$tmp/gen" ./bench/gen
"$tmp/gen" >"$tmp/stream.yaml"

timed() { # timed NAME CMD...: wall seconds of one run, exit 0 or 1 accepted
	local rc=0
	/usr/bin/time -f '%e' -o "$tmp/t" "$@" >/dev/null 2>&1 || rc=$?
	if [[ $rc -gt 1 ]]; then
		echo "bench/fix.sh: $* exited $rc" >&2
		exit 1
	fi
	tail -n1 "$tmp/t"
}

best() { sort -n | head -n1; }
: >"$tmp/check"; : >"$tmp/fixtext"; : >"$tmp/fixjson"
for _ in $(seq 1 "$runs"); do
	timed "$tmp/zerodrop" check -o json "$tmp/stream.yaml" >>"$tmp/check"
	timed "$tmp/zerodrop" fix --dry-run "$tmp/stream.yaml" >>"$tmp/fixtext"
	timed "$tmp/zerodrop" fix --dry-run -o json "$tmp/stream.yaml" >>"$tmp/fixjson"
done
c=$(best <"$tmp/check")
t=$(best <"$tmp/fixtext")
j=$(best <"$tmp/fixjson")
awk -v c="$c" -v t="$t" -v j="$j" 'BEGIN {
	printf "check -o json:            %.2f s\n", c
	printf "fix --dry-run (diff):     %.2f s  (%.1fx check; target < 3x: %s)\n", t, t / c, (t / c < 3 ? "ok" : "OVER")
	printf "fix --dry-run -o json:    %.2f s  (%.1fx check; target < 3x: %s)\n", j, j / c, (j / c < 3 ? "ok" : "OVER")
}'
