#!/usr/bin/env bash
# Measures the simulator against its targets:
#   - one rollout of 1,000 replicas behind an NLB at 10,000 requests/s
#     (about 17 minutes of virtual time, over ten million requests) in
#     under 2 s on one core (GOMAXPROCS=1);
#   - `simulate --plan` of 1,000 replicas with maxSurge 1 (and
#     maxUnavailable 0) behind an NLB in under 2 s on one core;
#   - 200 Monte Carlo runs of each variant of the built-in scenario in
#     under 5 s on the machine's cores;
#   - memory that does not grow with the request count (the same rollout
#     at 1,000 requests/s allocates about as much).
# Prints the Go benchmark lines (benchstat-ready; they are also written to
# bench/out/simulate.txt) and then the figures next to the targets. Wall
# time on a busy shared machine is noisy; the CPU time is printed too.
#
# Usage, from anywhere in the repository:
#   bench/simulate.sh
# Environment:
#   COUNT=N     benchmark repetitions (default 5)
#   STRICT=1    exit 1 if a figure misses its target
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

count=${COUNT:-5}
die() { echo "bench/simulate.sh: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is not on PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/sim.test" ./pkg/sim

mkdir -p bench/out
out=bench/out/simulate.txt
: >"$out"

echo "== one rollout, 1,000 replicas, NLB, 10,000 req/s, GOMAXPROCS=1"
GOMAXPROCS=1 "$tmp/sim.test" -test.run '^$' -test.bench '^BenchmarkRollout1000NLB$' \
	-test.benchtime 1x -test.count "$count" -test.benchmem | tee -a "$out" | grep Benchmark
echo "== --plan, 1,000 replicas, maxSurge 1, NLB, GOMAXPROCS=1"
GOMAXPROCS=1 "$tmp/sim.test" -test.run '^$' -test.bench '^BenchmarkPlan1000Surge1$' \
	-test.benchtime 1x -test.count "$count" -test.benchmem | tee -a "$out" | grep Benchmark
echo "== 200 Monte Carlo runs of each built-in variant, GOMAXPROCS=$(nproc)"
"$tmp/sim.test" -test.run '^$' -test.bench '^BenchmarkMonteCarlo$' \
	-test.benchtime 1x -test.count "$count" -test.benchmem | tee -a "$out" | grep Benchmark

# CPU time of one rollout, as the kernel counts it.
cpu=$( { /usr/bin/time -f '%U %S' env GOMAXPROCS=1 "$tmp/sim.test" -test.run '^TestRollout1000NLBShape$' >/dev/null; } 2>&1 | tail -n 1 || true)

best() { # best ns/op of a benchmark name
	awk -v n="$1" '$1 ~ n"(-[0-9]+)?$" { if (min == "" || $3 < min) min = $3 } END { print min / 1e9 }' "$out"
}
field() { # a field of the first matching line
	awk -v n="$1" -v f="$2" '$1 ~ n"(-[0-9]+)?$" { for (i = 1; i <= NF; i++) if ($(i+1) == f) { print $i; exit } }' "$out"
}
roll=$(best 'BenchmarkRollout1000NLB/rps=10000')
mc=$(best 'BenchmarkMonteCarlo')
plan=$(best 'BenchmarkPlan1000Surge1')
reqs=$(field 'BenchmarkRollout1000NLB/rps=10000' requests/op)
nsreq=$(field 'BenchmarkRollout1000NLB/rps=10000' ns/request)
mem_hi=$(field 'BenchmarkRollout1000NLB/rps=10000' B/op)
mem_lo=$(field 'BenchmarkRollout1000NLB/rps=1000' B/op)

echo
printf '%-58s %12s %12s\n' "figure" "measured" "target"
printf '%-58s %11.2fs %12s\n' "rollout 1000 replicas NLB 10k req/s, 1 core (best wall)" "$roll" "< 2 s"
[[ -n $cpu ]] && printf '%-58s %12s %12s\n' "  same, CPU time user+sys" "$(awk -v a="$cpu" 'BEGIN{split(a,x," "); printf "%.2fs", x[1]+x[2]}')" ""
printf '%-58s %12.0f %12s\n' "  requests in the run" "$reqs" "≥ 10,000,000"
printf '%-58s %11.0fns %12s\n' "  per request" "$nsreq" "100–200 ns"
printf '%-58s %11.1fMB %12s\n' "  allocated at 10,000 req/s" "$(awk -v b="$mem_hi" 'BEGIN{print b/1e6}')" ""
printf '%-58s %11.1fMB %12s\n' "  allocated at 1,000 req/s" "$(awk -v b="$mem_lo" 'BEGIN{print b/1e6}')" "about the same"
printf '%-58s %11.2fs %12s\n' "--plan 1000 replicas maxSurge 1 NLB, 1 core (best wall)" "$plan" "< 2 s"
printf '%-58s %11.2fs %12s\n' "200 runs x 4 built-in variants, $(nproc) cores (best wall)" "$mc" "< 5 s"

if [[ ${STRICT:-0} == 1 ]]; then
	awk -v r="$roll" -v m="$mc" -v p="$plan" 'BEGIN { exit !(r < 2 && m < 5 && p < 2) }' || die "a target was missed"
fi
