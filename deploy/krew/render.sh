#!/usr/bin/env bash
# Fills the krew manifest template for a release:
#   deploy/krew/render.sh 0.1.0 dist/checksums.txt > zerodrop.yaml
# Krew installs `bin` as kubectl-zerodrop; the binary then names itself
# "kubectl zerodrop" in its help.
set -euo pipefail
version=${1:?usage: render.sh VERSION checksums.txt}
sums=${2:?usage: render.sh VERSION checksums.txt}
version=${version#v}
out=$(sed "s/VERSION/$version/g" "$(dirname "${BASH_SOURCE[0]}")/zerodrop.yaml")
for p in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64; do
	sum=$(awk -v f="kubectl-zerodrop_${version}_${p}" '$2 ~ "^" f "\\.(tar\\.gz|zip)$" { print $1 }' "$sums")
	[[ -n $sum ]] || { echo "render.sh: no checksum for kubectl-zerodrop_${version}_${p} in $sums" >&2; exit 1; }
	out=${out//SHA256_$p/$sum}
done
printf '%s\n' "$out"
