#!/usr/bin/env bash
# Measures `zerodrop fix --dry-run` on the stream of bench/check.sh (12,551
# documents, about 10 MB) against `zerodrop check` on the same stream, run
# alternately so both see the same machine. Target: fix under 3x check.
# Prints the best of RUNS runs (default 5) of each, as text and JSON output,
# with the peak memory of that run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags kustomize_disable_go_plugin_support -o "$tmp/zerodrop" ./cmd/zerodrop
go build -o "$tmp/gen" ./bench/gen
"$tmp/gen" >"$tmp/stream.yaml"

timed() { # timed CMD...: "wall-seconds peak-RSS-KB" of one run, exit 0 or 1 accepted
	local rc=0
	/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>&1 || rc=$?
	if [[ $rc -gt 1 ]]; then
		echo "bench/fix.sh: $* exited $rc" >&2
		exit 1
	fi
	tail -n1 "$tmp/t"
}

best() { sort -n | head -n1; }
secs() { cut -d' ' -f1; }
mb() { awk '{printf "%.0f", $2 / 1024}'; }
: >"$tmp/check"; : >"$tmp/fixtext"; : >"$tmp/fixjson"
for _ in $(seq 1 "$runs"); do
	timed "$tmp/zerodrop" check -o json "$tmp/stream.yaml" >>"$tmp/check"
	timed "$tmp/zerodrop" fix --dry-run "$tmp/stream.yaml" >>"$tmp/fixtext"
	timed "$tmp/zerodrop" fix --dry-run -o json "$tmp/stream.yaml" >>"$tmp/fixjson"
done
c=$(best <"$tmp/check" | secs); cm=$(best <"$tmp/check" | mb)
t=$(best <"$tmp/fixtext" | secs); tm=$(best <"$tmp/fixtext" | mb)
j=$(best <"$tmp/fixjson" | secs); jm=$(best <"$tmp/fixjson" | mb)
awk -v c="$c" -v t="$t" -v j="$j" -v cm="$cm" -v tm="$tm" -v jm="$jm" 'BEGIN {
	printf "check -o json:            %.2f s, %d MB peak RSS\n", c, cm
	printf "fix --dry-run (diff):     %.2f s, %d MB  (%.1fx check; target < 3x: %s)\n", t, tm, t / c, (t / c < 3 ? "ok" : "OVER")
	printf "fix --dry-run -o json:    %.2f s, %d MB  (%.1fx check; target < 3x: %s)\n", j, jm, j / c, (j / c < 3 ? "ok" : "OVER")
}'
