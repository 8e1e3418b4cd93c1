#!/usr/bin/env bash
# Build the control-plane binaries used by internal/testenv (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kwok, kubectl),
# and the node binaries the real-node lab runs (kubelet, kube-proxy; see
# tools/lab), from the Go module proxy, once, into a cache directory outside
# the checkout.
#
#   tools/testenv/build.sh        # prints the binary directory as its last line
#   export ZERODROP_TESTENV_BIN=$(tools/testenv/build.sh | tail -n1)
#
# The directory is ${ZERODROP_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zerodrop-testenv}/KEY
# where KEY hashes this module's go.mod and go.sum, the etcd wrapper, the Go
# version and this script. A finished build is never rebuilt, so a
# second run is a quick no-op. The build goes to a temporary directory that is
# renamed into place when complete; "current" next to it is a symlink to the
# newest finished build, which the harness falls back to when
# ZERODROP_TESTENV_BIN is not set.
#
# A cold build takes 12-30 minutes on two cores (14-22 CPU-minutes) and
# about 2.7 GB of memory; with a warm Go build cache it takes about a minute.
# Progress and errors go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

export GOTOOLCHAIN=local
export CGO_ENABLED=0

binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl kubelet kube-proxy)
packages=(
	./cmd/etcd
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	sigs.k8s.io/kwok/cmd/kwok
	k8s.io/kubernetes/cmd/kubectl
	k8s.io/kubernetes/cmd/kubelet
	k8s.io/kubernetes/cmd/kube-proxy
)

go_version=$(go env GOVERSION)
key=$(
	{
		printf 'go %s\n' "$go_version"
		cat go.mod go.sum cmd/etcd/main.go build.sh
	} | sha256sum | cut -c1-16
)

root=${ZERODROP_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zerodrop-testenv}
dir=$root/$key
mkdir -p "$root"

complete() {
	local b
	[[ -f $1/.complete ]] || return 1
	for b in "${binaries[@]}"; do
		[[ -x $1/$b ]] || return 1
	done
}

point_current() {
	ln -sfn "$key" "$root/.current.$$"
	mv -T "$root/.current.$$" "$root/current"
}

# A hit marks the build as used; builds unused for 30 days are removed after
# the next new build.
if complete "$dir"; then
	touch "$dir"
	point_current
	echo "$dir"
	exit 0
fi

# Two builds at once would only fight over the CPU: take a lock when flock
# is available and look again once we hold it.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$root/.lock"
	if ! flock -n 9; then
		echo "testenv: another build is running, waiting for it" >&2
		flock 9
	fi
	if complete "$dir"; then
		point_current
		echo "$dir"
		exit 0
	fi
fi

k8s_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
major=${k8s_version#v}
major=${major%%.*}
minor=${k8s_version#v*.}
minor=${minor%%.*}
pkg=k8s.io/component-base/version
ldflags="-s -w"
ldflags+=" -X $pkg.gitVersion=$k8s_version"
ldflags+=" -X $pkg.gitMajor=$major"
ldflags+=" -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean"

tmp=$(mktemp -d "$root/.build-$key-XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "testenv: building ${binaries[*]} ($k8s_version) into $dir: 12-30 minutes cold, about a minute with a warm Go build cache" >&2
start=$SECONDS
go mod download
go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${packages[@]}"
for b in "${binaries[@]}"; do
	[[ -x $tmp/$b ]] || {
		echo "testenv: $b missing after the build" >&2
		exit 1
	}
done
{
	echo "kubernetes $k8s_version"
	go list -m -f '{{.Path}} {{.Version}}' go.etcd.io/etcd/server/v3 sigs.k8s.io/kwok
	echo "$go_version"
} >"$tmp/VERSIONS"
touch "$tmp/.complete"

# Another build may have finished the same key meanwhile (no flock): keep it.
if ! mv -T "$tmp" "$dir" 2>/dev/null; then
	complete "$dir" || {
		echo "testenv: cannot move the build to $dir" >&2
		exit 1
	}
fi
trap - EXIT
rm -rf "$tmp"
point_current
find "$root" -mindepth 1 -maxdepth 1 -type d \( -name '.build-*' -mtime +1 -o -name '????????????????' -mtime +30 \) \
	-exec rm -rf {} + 2>/dev/null || true
echo "testenv: built in $((SECONDS - start))s" >&2
echo "$dir"
