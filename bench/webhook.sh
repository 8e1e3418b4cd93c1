#!/usr/bin/env bash
# Measures the admission webhook's handler on a typical Deployment (a
# namespace of eleven applications, each with a Service, an ALB Ingress and
# a PodDisruptionBudget, as the informer cache holds them):
#   - in-process: one review after another, and on all cores;
#   - over TLS (HTTP/2) on loopback, one review after another;
#   - over TLS at a fixed 500 reviews/s, open loop: target p99 under 5 ms.
# Also a Service update (checked against the workloads it may affect) and
# the mutating handler, in-process.
# Prints the Go benchmark lines (benchstat-ready; also written to
# bench/out/webhook.txt), then each figure's median over the runs: reviews
# per second, p50 and p99 latency.
#
# Usage, from anywhere in the repository:
#   bench/webhook.sh
# Environment:
#   COUNT=N     benchmark repetitions (default 5)
#   REVIEWS=N   reviews per repetition (default 5000, 10 s at 500/s)
#   STRICT=1    exit 1 if p99 at 500 reviews/s is 5 ms or more
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

count=${COUNT:-5}
reviews=${REVIEWS:-5000}
die() { echo "bench/webhook.sh: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is not on PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/webhook.test" ./pkg/webhook

mkdir -p bench/out
out=bench/out/webhook.txt
"$tmp/webhook.test" -test.run '^$' -test.bench '^BenchmarkHandler$' \
	-test.benchtime "${reviews}x" -test.count "$count" -test.benchmem | tee "$out" | grep Benchmark

# median of one unit (reviews/s, p50-ns, ...) of a sub-benchmark over the runs
median() {
	awk -v n="$1" -v u="$2" '$1 ~ "^BenchmarkHandler/"n"(-[0-9]+)?$" {
		for (i = 2; i < NF; i++) if ($(i+1) == u) print $i
	}' "$out" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "-"; else print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
	}'
}
ms() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.2f ms", v / 1e6 }'; }

echo
printf '%-44s %12s %10s %10s\n' "handler, typical namespace" "reviews/s" "p50" "p99"
for b in inprocess/validate-deployment inprocess/validate-service inprocess/mutate-deployment \
	inprocess/validate-deployment-parallel tls/validate-deployment tls-500rps/validate-deployment; do
	printf '%-44s %12.0f %10s %10s\n' "$b" "$(median "$b" reviews/s)" "$(ms "$(median "$b" p50-ns)")" "$(ms "$(median "$b" p99-ns)")"
done
p99=$(median tls-500rps/validate-deployment p99-ns)
printf '\np99 at 500 reviews/s over TLS: %s (target < 5 ms)\n' "$(ms "$p99")"
if [[ ${STRICT:-0} == 1 ]]; then
	awk -v p="$p99" 'BEGIN { exit !(p < 5e6) }' || die "p99 at 500 reviews/s is over 5 ms"
fi
