#!/usr/bin/env bash
# Measures the admission webhook as the API server calls it: an open-loop
# client at a fixed rate (latency from each review's scheduled send time to
# the end of its answer), over one HTTP/2 TLS connection, to the validating
# handler over the webhook's informer model.
#   - BenchmarkLiveReviews: a real control plane (internal/testenv) with
#     namespaces of 10, 100 and 1,000 applications (Deployment, Service, ALB
#     Ingress, budget each), created through the API server; reviews of a
#     Deployment, a Service, an Ingress and a bare Pod. Target: p99 under
#     5 ms at 500 reviews/s for every size.
#   - BenchmarkModel10000: the same model loaded in-process from 10,000
#     generated applications in 100 namespaces (a test control plane on a
#     small machine does not hold 40,000 objects): the model's heap and the
#     process's memory (target under 256 MB), and reviews in one namespace.
#   - BenchmarkHandler: the CPU cost of one review, in-process, and what
#     one review allocates on the server side (decode, check, encode).
# Before the first row, reviews of every kind (not kept) until the webhook's
# process has collected twice since its model was loaded, as a webhook that
# has served a while would be. Each row is measured after a warm-up
# (ZD_BENCH_WARMUP reviews, not kept), the live rows once the
# controller-manager has caught up with the objects just created; the process takes the garbage collector settings the Helm
# chart gives the webhook (ZD_BENCH_GC=default: the runtime's defaults),
# and each row reports the collections during it (GC cycles) and the bytes
# the webhook's process allocated per review (alloc/review).
# Prints the Go benchmark lines (benchstat-ready; also written to
# bench/out/webhook.txt), then a table of the medians over the runs.
#
# Usage, from anywhere in the repository:
#   bench/webhook.sh
# Environment:
#   COUNT=N              repetitions (default 3)
#   ZD_BENCH_RATE=N      reviews per second (default 500)
#   ZD_BENCH_REVIEWS=N   reviews per measurement (default 2500: 5 s at 500/s)
#   ZD_BENCH_WARMUP=N    reviews sent before each measurement, not measured (default 500)
#   ZD_BENCH_GC=default  the runtime's GC defaults instead of the chart's settings
#   STRICT=1             exit 1 if a p99 is 5 ms or more, or the peak memory 256 MB or more
# The live benchmark needs the control-plane binaries (tools/testenv/build.sh;
# ZERODROP_TESTENV_BIN or the last build in the user cache); without them it
# is skipped and said so.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

count=${COUNT:-3}
die() { echo "bench/webhook.sh: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is not on PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The shipped binary's build tag (docs/install.md): without it the linker
# keeps every exported method for kustomize's Go-plugin loader, and the
# process's resident memory is not the webhook's.
go test -c -tags kustomize_disable_go_plugin_support -o "$tmp/webhook.test" ./pkg/webhook

mkdir -p bench/out
out=bench/out/webhook.txt
(cd pkg/webhook && "$tmp/webhook.test" -test.run '^$' \
	-test.bench '^(BenchmarkLiveReviews|BenchmarkModel10000)$' -test.benchtime 1x -test.count "$count" -test.v -test.timeout 60m
	"$tmp/webhook.test" -test.run '^$' -test.bench '^BenchmarkHandler$/^(inprocess|serve)/validate' -test.benchmem -test.benchtime 2000x -test.count "$count") \
	2>&1 | tee "$out" | grep -E '^(Benchmark|    scale_bench_test|--- SKIP|.*skip)' || true

# median of one unit of the benchmark lines matching a name pattern
median() {
	awk -v n="$1" -v u="$2" '$1 ~ "^"n"(-[0-9]+)?$" {
		for (i = 2; i < NF; i++) if ($(i+1) == u) print $i
	}' "$out" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "-"; else print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
	}'
}
ms() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.2f ms", v / 1e6 }'; }
mib() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.0f MiB", v / 1048576 }'; }

over=0
check_p99() { awk -v p="$1" 'BEGIN { exit !(p != "-" && p >= 5e6) }' && over=1 || true; }

# row BENCHMARK LABEL: one line of the latency table, the p99 judged.
row() {
	local p99
	p99=$(median "$1" p99-ns)
	check_p99 "$p99"
	printf '%-34s %10s %10s %10s %10s %10s %10s %12s\n' "$2" "$(median "$1" reviews/s)" \
		"$(ms "$(median "$1" p50-ns)")" "$(ms "$p99")" "$(ms "$(median "$1" max-ns)")" "$(median "$1" unchecked)" \
		"$(median "$1" gc-cycles)" "$(kib "$(median "$1" B/review)")"
}
kib() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f KiB", v / 1024 }'; }

echo
printf '%-34s %10s %10s %10s %10s %10s %10s %12s\n' "review (open loop, HTTP/2 TLS)" "reviews/s" "p50" "p99" "max" "unchecked" "GC cycles" "alloc/review"
for size in 10 100 1000; do
	for kind in Deployment Service Ingress Pod; do
		row "BenchmarkLiveReviews/apps=$size/$kind" "live, $size apps: $kind"
	done
done
for kind in Deployment Service Ingress Pod; do
	row "BenchmarkModel10000/reviews/$kind" "10,000-app model: $kind"
done
echo
heap=$(median "BenchmarkModel10000/reviews/Pod" model-heap-bytes)
peak=$(median "BenchmarkModel10000/reviews/Pod" peak-rss-bytes)
printf 'model of 10,000 applications: heap %s; process peak RSS %s (target < 256 MB)\n' "$(mib "$heap")" "$(mib "$peak")"
for k in deployment service; do
	printf 'CPU per review, in-process (%s): %s; allocated per review, server side (decode, check, encode): %s\n' "$k" \
		"$(ms "$(median "BenchmarkHandler/inprocess/validate-$k" ns/op)")" "$(kib "$(median "BenchmarkHandler/serve/validate-$k" B/op)")"
done
grep -E 'model of|after the reviews|created .* applications|controllers caught up|deleted in|model: |garbage collector|settled' "$out" | sed 's/^ *scale_bench_test.go:[0-9]*: /  /' | sort -u || true
echo "(machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [[ ${STRICT:-0} == 1 ]]; then
	[[ $over == 0 ]] || die "a p99 is 5 ms or more"
	awk -v p="$peak" 'BEGIN { exit !(p != "-" && p < 256e6) }' || die "peak memory is 256 MB or more"
fi
