#!/usr/bin/env bash
# Measures wall time and peak RSS of `zerodrop check` on hostile and large
# inputs: alias bombs (bench/hostile), a 50 MB stream, and 700 MB on stdin
# generated on the fly (never written to disk). Targets: every hostile case
# under 1 s and 100 MB (met: at most 0.6 s and 70 MB in ten runs on a busy
# machine); the 50 MB stream under 300 MB (met in every run: 248 to 269 MB
# in fourteen runs, from the file and from stdin, at load averages of 1.3
# to 8; bench/README.md says where it goes).
#
# Usage, from anywhere in the repository:
#   bench/memory.sh
# Environment:
#   BIG=0     skip the 50 MB stream and the 700 MB stdin case
#   ZERODROP=PATH  measure that binary instead of building ./cmd/zerodrop
#                  (to compare two builds)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "bench/memory.sh: $*" >&2; exit 1; }
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian: apt-get install time)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${ZERODROP:-} ]]; then
	cp "$ZERODROP" "$tmp/zerodrop"
else
	go build -tags kustomize_disable_go_plugin_support -o "$tmp/zerodrop" ./cmd/zerodrop
fi
go build -o "$tmp/hostile" ./bench/hostile
go build -o "$tmp/gen" ./bench/gen

# measure NAME TARGET_S TARGET_KB CMD...: runs CMD, prints its figures.
measure() {
	local name=$1 ts=$2 tkb=$3
	shift 3
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || true
	read -r wall user sys rss < <(tail -n 1 "$tmp/time")
	local cpu
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	local verdict=ok
	awk -v a="$wall" -v t="$ts" 'BEGIN { exit !(a < t) }' || verdict=OVER
	[[ $rss -lt $tkb ]] || verdict=OVER
	printf '%-28s %7s s wall %7s s cpu %8s KB peak RSS  (target < %s s, < %s KB: %s)\n' \
		"$name" "$wall" "$cpu" "$rss" "$ts" "$tkb" "$verdict"
}

for c in billion docs-aliases merge deep empty-docs tiny-docs; do
	"$tmp/hostile" -case "$c" >"$tmp/$c.yaml"
	measure "$c ($(wc -c <"$tmp/$c.yaml") B)" 1 102400 "$tmp/zerodrop" check "$tmp/$c.yaml"
done
"$tmp/hostile" -case docs-aliases -size 179000 >"$tmp/a179.yaml"
measure "docs-aliases (179 KB)" 1 102400 "$tmp/zerodrop" check "$tmp/a179.yaml"
"$tmp/hostile" -case long-scalar -size 4000000 >"$tmp/long.yaml"
measure "long-scalar (4 MB)" 1 102400 "$tmp/zerodrop" check "$tmp/long.yaml"

if [[ ${BIG:-1} != 0 ]]; then
	"$tmp/gen" -objects 63000 >"$tmp/s50.yaml"
	measure "stream $(($(wc -c <"$tmp/s50.yaml") / 1000000)) MB, file" 60 307200 "$tmp/zerodrop" check -o json "$tmp/s50.yaml"
	measure "stream 50 MB, stdin" 60 307200 sh -c "\"$tmp/zerodrop\" check -o json - < \"$tmp/s50.yaml\""
	# 700 MB of comment lines and one object, generated on the fly: one
	# document over the 4 MiB document limit, read past without being held
	# until the stream passes its 512 MiB limit and is refused.
	measure "700 MB on stdin" 60 307200 sh -c "{ echo 'apiVersion: v1'; echo 'kind: Namespace'; echo 'metadata: {name: a}'; yes '# padding comment line of sixty-four bytes, repeated on stdin.....' | head -c 700000000; } | \"$tmp/zerodrop\" check -"
fi
