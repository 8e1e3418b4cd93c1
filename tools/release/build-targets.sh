#!/usr/bin/env bash
# Checks the release configuration: with goreleaser on PATH, `goreleaser check`
# validates .goreleaser.yaml; either way every target it lists (goos x goarch)
# is built as the release builds it (static, -trimpath, stripped), into a
# temporary directory that is then removed, and the sizes are printed.
#
# Usage: tools/release/build-targets.sh
# Environment: TARGETS="linux/arm64 windows/amd64" builds only these (CI
# builds one target per OS and per architecture: a cross build of the whole
# binary costs minutes on two cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if command -v goreleaser >/dev/null; then
	goreleaser check
fi

# goos and goarch lists of .goreleaser.yaml ("goos: [a, b]").
list() { sed -n "s/^ *$1: *\[\(.*\)\]/\1/p" .goreleaser.yaml | tr -d ' ' | tr ',' ' '; }
targets=${TARGETS:-}
if [[ -z $targets ]]; then
	for os in $(list goos); do
		for arch in $(list goarch); do
			targets+=" $os/$arch"
		done
	done
fi
[[ -n $targets ]] || { echo "no targets in .goreleaser.yaml" >&2; exit 1; }
for t in $targets; do
	grep -q "^ *goos: \[.*${t%/*}" .goreleaser.yaml && grep -q "^ *goarch: \[.*${t#*/}" .goreleaser.yaml ||
		{ echo "$t is not a target of .goreleaser.yaml" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in $targets; do
	start=$SECONDS
	CGO_ENABLED=0 GOOS=${t%/*} GOARCH=${t#*/} go build -trimpath -tags kustomize_disable_go_plugin_support -ldflags='-s -w -buildid=' -o "$tmp/zerodrop" ./cmd/zerodrop
	printf '%-14s %6.1f MB  %3d s\n' "$t" "$(awk -v b="$(stat -c %s "$tmp/zerodrop")" 'BEGIN { print b / 1e6 }')" $((SECONDS - start))
	rm -f "$tmp/zerodrop"
done
