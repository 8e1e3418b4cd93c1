#!/usr/bin/env bash
# Builds zerodrop's container image offline, with no container engine: a
# static, stripped, -trimpath binary packed by tools/image (go-containerregistry)
# into an OCI image layout and a docker-loadable tarball. The image is named
# as the Helm chart's default: ghcr.io/zerodrop/zerodrop:<Chart appVersion>.
# Every time in it is the commit's time, so the build is reproducible.
#
# Usage, from anywhere in the repository:
#   tools/image/build.sh OUT_DIR        # OUT_DIR/oci (layout), OUT_DIR/zerodrop-image.tar
#   CHECK=1 tools/image/build.sh OUT_DIR
# With CHECK=1 it builds twice into separate directories and fails unless
# the digests are equal, then unpacks the image and runs the binary inside
# it: `version` (whose revision must be this commit) and `check` on
# examples/seed/naive (findings: exit 1).
# Environment: GOARCH (default amd64).
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${1:?usage: tools/image/build.sh OUT_DIR}
mkdir -p "$out"
arch=${GOARCH:-amd64}

app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' deploy/helm/zerodrop/Chart.yaml)
[[ -n $app_version ]] || { echo "no appVersion in deploy/helm/zerodrop/Chart.yaml" >&2; exit 1; }
tag=ghcr.io/zerodrop/zerodrop:$app_version
revision=$(git rev-parse HEAD)
created=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)

go -C tools/image build -o "$out/image-tool" .

# build DIR: binary and image into DIR; prints the digest. -buildvcs=true:
# the binary's `version` names the commit even where GOFLAGS turns stamping off.
build() {
	local dir=$1
	mkdir -p "$dir"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -buildvcs=true -trimpath -tags kustomize_disable_go_plugin_support -ldflags='-s -w -buildid=' \
		-o "$dir/zerodrop" ./cmd/zerodrop
	"$out/image-tool" build -binary "$dir/zerodrop" -arch "$arch" -created "$created" \
		-version "$app_version" -revision "$revision" -tag "$tag" \
		-layout "$dir/oci" -tarball "$dir/zerodrop-image.tar"
}

if [[ ${CHECK:-} != 1 ]]; then
	digest=$(build "$out")
	echo "$tag@$digest"
	exit 0
fi

first=$(build "$out/a")
second=$(build "$out/b")
if [[ $first != "$second" ]]; then
	echo "image build is not reproducible: $first then $second" >&2
	exit 1
fi
cmp "$out/a/zerodrop-image.tar" "$out/b/zerodrop-image.tar"
echo "image $tag@$first (built twice, same digest)"

root=$out/rootfs
rm -rf "$root"
"$out/image-tool" extract -layout "$out/a/oci" -dir "$root"
bin=$root/usr/local/bin/zerodrop
[[ $arch == "$(go env GOARCH)" ]] || { echo "GOARCH $arch: built, not run"; exit 0; }
"$bin" version
"$bin" version -o json | grep -q "\"revision\": \"$revision\"" ||
	{ echo "the image's binary does not name revision $revision" >&2; exit 1; }
rc=0
"$bin" check examples/seed/naive >"$out/check.txt" || rc=$?
if [[ $rc -ne 1 ]] || ! grep -q ZD003 "$out/check.txt"; then
	cat "$out/check.txt" >&2
	echo "the image's binary: check examples/seed/naive exited $rc, want 1 with findings" >&2
	exit 1
fi
grep -q '^nonroot:x:65532:65532:' "$root/etc/passwd" || { echo "no nonroot user in the image" >&2; exit 1; }
echo "the image's binary ran: version, check (exit 1, findings)"
