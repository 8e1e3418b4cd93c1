#!/usr/bin/env bash
# Measures `zerodrop audit` against a real control plane (internal/testenv)
# holding 2,000 Deployments with their Services (replicas 1), created through
# the API server. Target: one audit in under 10 s.
#
# Needs the control-plane binaries: tools/testenv/build.sh builds them once.
# Usage, from anywhere in the repository:
#   bench/audit.sh            # COUNT=N repeats the measurement (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=${COUNT:-3}
out=$(go test ./pkg/audit -run '^$' -bench BenchmarkAudit2000 -benchtime 1x -count "$count" -timeout 20m 2>&1) || {
	echo "$out" >&2
	exit 1
}
echo "$out" | grep -E '^(Benchmark|goos|goarch|cpu|pkg)'
echo "$out" | awk '/^BenchmarkAudit2000/ { s = $3 / 1e9; printf "audit of 2,000 Deployments + Services: %.2f s (target < 10 s: %s)\n", s, (s < 10 ? "ok" : "OVER") }'
