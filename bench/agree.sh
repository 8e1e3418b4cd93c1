#!/usr/bin/env bash
# The differential test between check and simulate at scale: generates
# configurations (the grid, then seeded random combinations), runs each
# through check's analysis and the simulator (every event, runs at each end
# of the delay ranges and at random inside them) and prints the counts per
# property (P1 no false all-clear, P2 no unexplained drop, P3 no unfounded
# error), the violations by rule and cause, the first examples of each, and
# the wall and CPU time. Target: 10,000 configurations in under 10 minutes
# on 2 cores; P1 0 violations, P2 and P3 at least 99%.
#
# Usage, from anywhere in the repository:
#   bench/agree.sh
# Environment:
#   N=10000      configurations
#   SEED=1       series seed
#   EXAMPLES=5   examples printed per violation
#   STRICT=1     exit 1 unless the targets hold (default: report only the
#                regression floors of the go test)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || { echo "bench/agree.sh: go is not on PATH" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/agree.test" ./pkg/sim/agree

n=${N:-10000}
echo "== $n configurations, seed ${SEED:-1}, GOMAXPROCS=$(nproc)"
start=$(date +%s.%N)
set +e
/usr/bin/time -f 'cpu %U s user, %S s sys, peak RSS %M KB' \
	env ZERODROP_AGREE_N="$n" ZERODROP_AGREE_SEED="${SEED:-1}" ZERODROP_AGREE_EXAMPLES="${EXAMPLES:-5}" \
	ZERODROP_AGREE_STRICT="${STRICT:-0}" \
	"$tmp/agree.test" -test.run '^TestAgree$' -test.v -test.timeout 30m >"$tmp/out" 2>"$tmp/time"
rc=$?
set -e
end=$(date +%s.%N)
sed -n '/agree_test.go/,$p' "$tmp/out" | sed 's/^        //' | grep -v '^--- \|^PASS\|^FAIL\|^ok\|^=== '
cat "$tmp/time"
awk -v a="$start" -v b="$end" -v n="$n" 'BEGIN { printf "wall %.1f s for %d configurations (target < 600 s for 10,000)\n", b - a, n }'
exit $rc
