#!/usr/bin/env bash
# Measures `zerodrop check` on a cluster-sized input: 5,000 Deployments,
# 5,000 Services, 2,000 PodDisruptionBudgets, 500 Ingresses and 50 Namespaces
# in one YAML stream. Prints wall time, CPU time (user + system) and peak
# memory for three runs next to the targets (under 1 s wall, under 250 MB
# peak RSS). On a machine shared with other work, wall time swings with the
# load; CPU time much less, so compare changes by it.
#
# Usage, from anywhere in the repository:
#   bench/check.sh
# Environment:
#   RUNS=N        number of timed runs (default 3)
#   STRICT=1      exit 1 if the best run misses a target
#   ZERODROP=PATH measure that binary instead of building ./cmd/zerodrop
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${RUNS:-3}
target_wall=1.0     # seconds
target_rss_kb=256000 # 250 MB, in the KB that GNU time reports

die() { echo "bench/check.sh: $*" >&2; exit 1; }

[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian: apt-get install time)"
command -v go >/dev/null || die "go is not on PATH"
[[ -d cmd/zerodrop ]] || die "./cmd/zerodrop does not exist yet: nothing to measure"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -n ${ZERODROP:-} ]]; then
	cp "$ZERODROP" "$tmp/zerodrop"
elif ! go build -tags kustomize_disable_go_plugin_support -o "$tmp/zerodrop" ./cmd/zerodrop 2>"$tmp/build.log"; then
	cat "$tmp/build.log" >&2
	die "./cmd/zerodrop does not build (errors above)"
fi
go build -o "$tmp/gen" ./bench/gen

stream=$tmp/stream.yaml
"$tmp/gen" -deployments 5000 -services 5000 -pdbs 2000 -ingresses 500 -namespaces 50 -seed 1 >"$stream"
bytes=$(wc -c <"$stream")
docs=$(grep -c '^---$' "$stream")
printf 'input: %d documents, %.1f MB\n' "$docs" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')"

best_wall=
best_rss=
best_cpu=
for i in $(seq 1 "$runs"); do
	rc=0
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" \
		"$tmp/zerodrop" check -o json "$stream" >/dev/null 2>"$tmp/stderr" || rc=$?
	# 0: no findings; 1: findings (expected with this input); anything else
	# is a failure of the tool, not a measurement.
	if [[ $rc -ne 0 && $rc -ne 1 ]]; then
		tail -n 20 "$tmp/stderr" >&2
		die "zerodrop check exited $rc on run $i"
	fi
	read -r wall user sys rss < <(tail -n 1 "$tmp/time")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	printf 'run %d: %s s wall, %s s cpu, %s KB peak RSS (exit %d)\n' "$i" "$wall" "$cpu" "$rss" "$rc"
	if [[ -z $best_wall ]] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
		best_wall=$wall
	fi
	if [[ -z $best_rss || $rss -lt $best_rss ]]; then
		best_rss=$rss
	fi
	if [[ -z $best_cpu ]] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then
		best_cpu=$cpu
	fi
done

verdict() { if [[ $1 -eq 0 ]]; then echo ok; else echo OVER; fi; }
wall_ok=0
awk -v a="$best_wall" -v t="$target_wall" 'BEGIN { exit !(a < t) }' || wall_ok=1
rss_ok=0
[[ $best_rss -lt $target_rss_kb ]] || rss_ok=1
printf 'best:   %s s wall (target < %s s: %s), %s s cpu, %s KB peak RSS (target < %s KB: %s)\n' \
	"$best_wall" "$target_wall" "$(verdict $wall_ok)" "$best_cpu" "$best_rss" "$target_rss_kb" "$(verdict $rss_ok)"

if [[ ${STRICT:-0} == 1 && $((wall_ok + rss_ok)) -ne 0 ]]; then
	exit 1
fi
