#!/usr/bin/env bash
# A real-node Kubernetes lab on this machine, for rehearsing rollouts with
# real pods: a control plane, two nodes (each a kubelet with its own
# containerd, runc and CNI bridge on its own subnet), one kube-proxy, and the
# project's echoserver image built offline from source. See docs/lab.md.
#
#   tools/lab/lab.sh build    # binaries and images (cached; a cold build takes long)
#   tools/lab/lab.sh up       # start the lab (root; installs Debian packages it lacks)
#   tools/lab/lab.sh env      # print the exports for kubectl and friends
#   tools/lab/lab.sh status   # what runs
#   tools/lab/lab.sh down     # stop everything and remove every trace
#   tools/lab/lab.sh run ...  # the measured matrix (tools/lab/labctl run --help)
#
# LAB_ISOLATE=1 tools/lab/lab.sh run ... pins the lab's daemons, containerd's
# shims and the pods to CPU 0 and runs labctl (the client and HAProxy) on CPU 1,
# and judges the runs with manifests/profile-quiet.yaml.
#
# Safety: all traffic stays on the lab bridges (10.201.1.0/24, 10.201.2.0/24)
# and the Service CIDR (10.201.0.0/24), which is routed onto the first bridge.
# The script never turns on ip_forward and adds no masquerading of its own;
# the CNI bridges are not gateways for the outside world.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

LAB_DIR=${ZERODROP_LAB_DIR:-/var/lib/zerodrop-lab}
LAB_CACHE=${ZERODROP_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zerodrop-lab}
NODES=(1 2)
SERVICE_CIDR=10.201.0.0/24
LAB_CIDR=10.201.0.0/16
APISERVER_PORT=16443
ETCD_PORT=23790
ETCD_PEER_PORT=23800
PACKAGES=(containerd runc containernetworking-plugins iptables conntrack busybox-static haproxy iproute2 openssl)

log() { printf 'lab: %s\n' "$*" >&2; }
die() {
	printf 'lab: %s\n' "$*" >&2
	exit 1
}

node_ip() { echo "10.201.$1.1"; }
bridge() { echo "zdlab$1"; }

# bin_dir prints the directory with the Kubernetes binaries (testenv build
# extended with kubelet and kube-proxy).
bin_dir() {
	local d=${ZERODROP_TESTENV_BIN:-}
	if [[ -z $d ]]; then
		d=${ZERODROP_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zerodrop-testenv}/current
	fi
	for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
		[[ -x $d/$b ]] || die "no $b in $d: run tools/lab/lab.sh build first"
	done
	(cd "$d" && pwd -P)
}

# gobuild PKG...: the lab's static binaries into $LAB_CACHE/bin. go build
# leaves a binary that is up to date alone, so calling it again is cheap.
gobuild() {
	mkdir -p "$LAB_CACHE/bin"
	(
		cd "$repo"
		export CGO_ENABLED=0 GOTOOLCHAIN=local
		go build -trimpath -tags kustomize_disable_go_plugin_support -ldflags "-s -w" -o "$LAB_CACHE/bin/" "$@"
	)
}

cmd_build() {
	local start=$SECONDS tdir
	tdir=$("$repo/tools/testenv/build.sh" | tail -n1)
	mkdir -p "$LAB_CACHE/bin" "$LAB_CACHE/images"
	log "building zerodrop, labctl, echoserver and pause"
	gobuild ./cmd/zerodrop ./tools/lab/labctl ./examples/echoserver ./tools/lab/pause
	image "$LAB_CACHE/images/echoserver.tar" zerodrop.local/echoserver:lab /echoserver "$LAB_CACHE/bin/echoserver"
	image "$LAB_CACHE/images/pause.tar" zerodrop.local/pause:lab /pause "$LAB_CACHE/bin/pause"
	log "built in $((SECONDS - start))s; Kubernetes binaries in $tdir"
}

# image TAR REF ENTRYPOINT BINARY: a one-layer docker-archive image holding
# BINARY at ENTRYPOINT and a static busybox (sh, sleep) for exec hooks.
# Reproducible: fixed times, owners and order.
image() {
	local tar=$1 ref=$2 entry=$3 binary=$4 w layer_sha config_sha
	w=$(mktemp -d)
	mkdir -p "$w/root/bin" "$w/root/tmp" "$w/root/etc"
	chmod 1777 "$w/root/tmp"
	cp "$binary" "$w/root$entry"
	if [[ -x /bin/busybox ]]; then
		cp /bin/busybox "$w/root/bin/busybox"
		ln -s busybox "$w/root/bin/sh"
		ln -s busybox "$w/root/bin/sleep"
	fi
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >"$w/root/etc/passwd"
	tar -C "$w/root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$w/layer.tar" .
	layer_sha=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
	mkdir "$w/out"
	mkdir "$w/out/$layer_sha"
	mv "$w/layer.tar" "$w/out/$layer_sha/layer.tar"
	printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Entrypoint":["%s"],"User":"65534"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$entry" "$layer_sha" >"$w/config.json"
	config_sha=$(sha256sum "$w/config.json" | cut -d' ' -f1)
	mv "$w/config.json" "$w/out/$config_sha.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_sha" "$ref" "$layer_sha" >"$w/out/manifest.json"
	tar -C "$w/out" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$tar.tmp" .
	mv "$tar.tmp" "$tar"
	rm -rf "$w"
}

need_root() { [[ $(id -u) == 0 ]] || die "$1 needs root"; }

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get"
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$LAB_DIR/apt.log" 2>&1 ||
		{
			DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LAB_DIR/apt.log" 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$LAB_DIR/apt.log" 2>&1
		} || die "apt-get install ${missing[*]} failed; see $LAB_DIR/apt.log"
}

# spawn NAME CMD...: start a daemon in its own session, log to logs/NAME.log,
# record its pid in run/NAME.pid.
spawn() {
	local name=$1
	shift
	setsid "$@" </dev/null >"$LAB_DIR/logs/$name.log" 2>&1 &
	echo $! >"$LAB_DIR/run/$name.pid"
}

# wait_for WHAT SECONDS CMD...: poll CMD every 0.1 s.
wait_for() {
	local what=$1 limit=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	log "timed out waiting for $what"
	return 1
}

pki() {
	local d=$LAB_DIR/pki
	mkdir -p "$d"
	(
		cd "$d"
		key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
		key ca.key
		openssl req -x509 -new -key ca.key -subj /CN=zerodrop-lab-ca -days 30 -out ca.crt 2>/dev/null
		sign() { # NAME SUBJ EXT
			key "$1.key"
			openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
			printf '%s\n' "$3" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
			rm -f "$1.csr" "$1.ext"
		}
		sign apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,IP:10.201.0.1,DNS:localhost,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth"
		sign admin "/O=system:masters/CN=zerodrop-lab-admin" "extendedKeyUsage=clientAuth"
		openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
		openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
	)
	cat >"$LAB_DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $d/ca.crt
users:
- name: admin
  user:
    client-certificate: $d/admin.crt
    client-key: $d/admin.key
contexts:
- name: lab
  context: {cluster: lab, user: admin}
current-context: lab
EOF
}

network_up() {
	local n
	for n in "${NODES[@]}"; do
		ip link add "$(bridge "$n")" type bridge
		ip addr add "$(node_ip "$n")/24" dev "$(bridge "$n")"
		ip link set "$(bridge "$n")" up
	done
	# The Service CIDR goes onto the first bridge, never out of eth0: a
	# ClusterIP kube-proxy has no rule for goes nowhere.
	ip route add "$SERVICE_CIDR" dev "$(bridge 1)" src "$(node_ip 1)"
}

control_plane_up() {
	local b=$1 k=$LAB_DIR/pki
	spawn etcd "$b/etcd" --name=lab --data-dir="$LAB_DIR/etcd" \
		--listen-client-urls=http://127.0.0.1:$ETCD_PORT --advertise-client-urls=http://127.0.0.1:$ETCD_PORT \
		--listen-peer-urls=http://127.0.0.1:$ETCD_PEER_PORT --initial-advertise-peer-urls=http://127.0.0.1:$ETCD_PEER_PORT \
		--initial-cluster=lab=http://127.0.0.1:$ETCD_PEER_PORT --initial-cluster-state=new \
		--unsafe-no-fsync --log-level=warn
	spawn kube-apiserver "$b/kube-apiserver" --etcd-servers=http://127.0.0.1:$ETCD_PORT \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=$APISERVER_PORT \
		--cert-dir="$LAB_DIR/apiserver" --tls-cert-file="$k/apiserver.crt" --tls-private-key-file="$k/apiserver.key" \
		--client-ca-file="$k/ca.crt" --kubelet-client-certificate="$k/admin.crt" --kubelet-client-key="$k/admin.key" \
		--kubelet-preferred-address-types=InternalIP \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$k/sa.pub" --service-account-signing-key-file="$k/sa.key" \
		--service-cluster-ip-range=$SERVICE_CIDR --service-node-port-range=30000-32767 \
		--authorization-mode=RBAC --endpoint-reconciler-type=none --allow-privileged=true --profiling=false
	wait_for etcd 20 curl -fsS http://127.0.0.1:$ETCD_PORT/health
	wait_for kube-apiserver 30 curl -fsS --cacert "$k/ca.crt" --cert "$k/admin.crt" --key "$k/admin.key" \
		https://127.0.0.1:$APISERVER_PORT/readyz
	spawn kube-controller-manager "$b/kube-controller-manager" --kubeconfig="$LAB_DIR/kubeconfig" --leader-elect=false \
		--bind-address=127.0.0.1 --secure-port=20257 --service-account-private-key-file="$k/sa.key" \
		--root-ca-file="$k/ca.crt" --service-cluster-ip-range=$SERVICE_CIDR --node-monitor-period=1s \
		--kube-api-qps=200 --kube-api-burst=400 --profiling=false
	spawn kube-scheduler "$b/kube-scheduler" --kubeconfig="$LAB_DIR/kubeconfig" --leader-elect=false \
		--bind-address=127.0.0.1 --secure-port=20259 --profiling=false
}

# node_up N BIN: containerd and kubelet of node N.
node_up() {
	local n=$1 b=$2 d ip
	d=$LAB_DIR/node$n
	ip=$(node_ip "$n")
	mkdir -p "$d/cni" "$d/containerd" "$d/kubelet"
	cat >"$d/cni/10-lab.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "zdlab$n",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$(bridge "$n")",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$d/ipam",
        "ranges": [[{"subnet": "10.201.$n.0/24", "rangeStart": "10.201.$n.10", "rangeEnd": "10.201.$n.250", "gateway": "$ip"}]],
        "routes": [{"dst": "$LAB_CIDR"}]
      }
    },
    {"type": "loopback"}
  ]
}
EOF
	cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "/run/zerodrop-lab/node$n/containerd"
[grpc]
  address = "/run/zerodrop-lab/node$n/containerd.sock"
[ttrpc]
  address = "/run/zerodrop-lab/node$n/containerd-ttrpc.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "zerodrop.local/pause:lab"
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "/run/zerodrop-lab/node$n/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
EOF
	mkdir -p "/run/zerodrop-lab/node$n"
	spawn "containerd$n" containerd --config "$d/containerd.toml"
	local h
	for h in /sys/fs/cgroup/*/; do
		mkdir -p "$h/zdlab-node$n"
	done
	cat >"$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: 1025$n
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 1024$n
containerRuntimeEndpoint: unix:///run/zerodrop-lab/node$n/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /zdlab-node$n
failCgroupV1: false
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $LAB_DIR/pki/ca.crt}
authorization: {mode: AlwaysAllow}
syncFrequency: 5s
nodeStatusUpdateFrequency: 2s
evictionHard: {}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
imageMinimumGCAge: 24h
localStorageCapacityIsolation: false
resolvConf: /etc/resolv.conf
maxPods: 40
serializeImagePulls: false
EOF
}

kubelet_up() {
	local n=$1 b=$2 d zone
	d=$LAB_DIR/node$n
	zone=lab-zone-$n
	spawn "kubelet$n" "$b/kubelet" --config="$d/kubelet.yaml" --kubeconfig="$LAB_DIR/kubeconfig" \
		--root-dir="$d/kubelet" --hostname-override="lab-node$n" --node-ip="$(node_ip "$n")" \
		--node-labels="topology.kubernetes.io/zone=$zone" --v=1
}

containerd_ready() { ctr -a "/run/zerodrop-lab/node$1/containerd.sock" version; }

import_images() {
	local n=$1 t
	for t in "$LAB_CACHE"/images/*.tar; do
		ctr -a "/run/zerodrop-lab/node$n/containerd.sock" -n k8s.io images import "$t" >/dev/null
	done
}

nodes_ready() {
	local out
	out=$("$KUBECTL" --kubeconfig "$LAB_DIR/kubeconfig" get nodes -o 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
	[[ $(grep -c True <<<"$out") == "${#NODES[@]}" ]]
}

snapshot() {
	{
		echo "## links"
		ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
		echo "## routes"
		ip route show | sort
		echo "## netns"
		ip netns list 2>/dev/null | awk '{print $1}' | sort
		echo "## mounts"
		awk '{print $2}' /proc/mounts | sort
		echo "## iptables"
		# Rules and chains of their own; an empty table that kube-proxy
		# instantiated (built-in chains, ACCEPT policies) is no rule.
		{ iptables-save 2>/dev/null || true; } | { grep -E '^-A |^:' || true; } |
			{ grep -vE '^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT' || true; } | sed 's/\[[0-9]*:[0-9]*\]//' | sort
	}
}

cmd_up() {
	need_root "lab up"
	local start=$SECONDS b
	[[ -e $LAB_DIR/run ]] && die "the lab is up (or was not taken down): run tools/lab/lab.sh down first"
	[[ -f $LAB_CACHE/images/echoserver.tar && -x $LAB_CACHE/bin/labctl ]] || die "no images in $LAB_CACHE: run tools/lab/lab.sh build first"
	b=$(bin_dir)
	KUBECTL=$b/kubectl
	mkdir -p "$LAB_DIR/logs" "$LAB_DIR/run"
	install_packages
	snapshot >"$LAB_DIR/before.txt"
	echo "$b" >"$LAB_DIR/bindir"
	if [[ $(cat /proc/sys/net/ipv4/ip_forward) != 0 ]]; then
		log "note: net.ipv4.ip_forward is on on this machine; the lab does not need it and leaves it as it is"
	fi
	pki
	network_up
	control_plane_up "$b"
	local n
	for n in "${NODES[@]}"; do node_up "$n" "$b"; done
	for n in "${NODES[@]}"; do wait_for "containerd $n" 20 containerd_ready "$n"; done
	local imports=()
	for n in "${NODES[@]}"; do
		import_images "$n" &
		imports+=($!)
	done
	for n in "${imports[@]}"; do wait "$n" || die "importing the images failed"; done
	for n in "${NODES[@]}"; do kubelet_up "$n" "$b"; done
	spawn kube-proxy "$b/kube-proxy" --kubeconfig="$LAB_DIR/kubeconfig" --hostname-override=lab-node1 \
		--proxy-mode=iptables --nodeport-addresses="$LAB_CIDR" --iptables-localhost-nodeports=false \
		--conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
		--metrics-bind-address=127.0.0.1:20249 --healthz-bind-address=127.0.0.1:20256 --iptables-min-sync-period=1s \
		--v=2
	wait_for "nodes Ready" 40 nodes_ready || die "nodes did not get Ready; see $LAB_DIR/logs"
	wait_for "the default ServiceAccount" 20 "$KUBECTL" --kubeconfig "$LAB_DIR/kubeconfig" get sa default
	log "up in $((SECONDS - start))s"
	cmd_env
}

cmd_env() {
	local b
	b=$(cat "$LAB_DIR/bindir" 2>/dev/null || bin_dir)
	echo "export KUBECONFIG=$LAB_DIR/kubeconfig"
	echo "export PATH=$LAB_CACHE/bin:$b:\$PATH"
}

cmd_status() {
	local f
	[[ -d $LAB_DIR/run ]] || {
		echo "lab: down"
		return 0
	}
	for f in "$LAB_DIR"/run/*.pid; do
		[[ -e $f ]] || continue
		if kill -0 "$(cat "$f")" 2>/dev/null; then
			echo "$(basename "$f" .pid): running (pid $(cat "$f"))"
		else
			echo "$(basename "$f" .pid): not running"
		fi
	done
	"$(cat "$LAB_DIR/bindir")/kubectl" --kubeconfig "$LAB_DIR/kubeconfig" get nodes -o wide 2>&1 || true
}

# stop NAME [SECONDS]: SIGTERM the recorded process, SIGKILL it after SECONDS.
stop() {
	local f=$LAB_DIR/run/$1.pid pid i
	[[ -f $f ]] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < ${2:-10} * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

# isolate pins every thread of the lab's daemons, of containerd's shims and
# of the processes under them (the pods) to CPU 0, so that labctl, verify and
# HAProxy can run alone on CPU 1. Children inherit the pin, and the kernel
# keeps it when runc moves a container into its pod's cpuset cgroup.
isolate() {
	local f pid c
	local -a todo=()
	for f in "$LAB_DIR"/run/*.pid; do todo+=("$(cat "$f")"); done
	todo+=($(pgrep -f "containerd-shim-runc-v2 .*-address /run/zerodrop-lab/" || true))
	while ((${#todo[@]})); do
		pid=${todo[0]}
		todo=("${todo[@]:1}")
		taskset -a -p -c 0 "$pid" >/dev/null 2>&1 || continue
		for c in $(pgrep -P "$pid" || true); do todo+=("$c"); done
	done
}

containers_left() {
	local n=$1 s=/run/zerodrop-lab/node$1/containerd.sock
	[[ -S $s ]] || return 1
	[[ -n $(ctr -a "$s" -n k8s.io tasks ls -q 2>/dev/null) ]]
}

cmd_down() {
	need_root "lab down"
	local start=$SECONDS n k pid
	[[ -d $LAB_DIR ]] || {
		log "nothing to take down"
		return 0
	}
	k=$(cat "$LAB_DIR/bindir" 2>/dev/null || true)
	# Pods first, through the kubelets, so CNI DEL removes veths and network
	# namespaces the way it does on a real node.
	if [[ -x $k/kubectl ]] && [[ -f $LAB_DIR/run/kube-apiserver.pid ]]; then
		stop labctl-lb 5
		"$k/kubectl" --kubeconfig "$LAB_DIR/kubeconfig" delete deployments,replicasets,statefulsets,daemonsets,jobs --all -A \
			--wait=false --request-timeout=5s >/dev/null 2>&1 || true
		"$k/kubectl" --kubeconfig "$LAB_DIR/kubeconfig" delete pods --all -A --grace-period=1 --wait=false \
			--request-timeout=5s >/dev/null 2>&1 || true
		for n in "${NODES[@]}"; do
			wait_for "pods on node $n to stop" 20 bash -c "! ctr -a /run/zerodrop-lab/node$n/containerd.sock -n k8s.io tasks ls -q 2>/dev/null | grep -q ." || true
		done
		# Sandboxes go once the kubelet sees the pods deleted.
		sleep 1
	fi
	stop kube-proxy 5
	if [[ -x $k/kube-proxy ]]; then
		"$k/kube-proxy" --cleanup >"$LAB_DIR/logs/kube-proxy-cleanup.log" 2>&1 || true
	fi
	for n in "${NODES[@]}"; do stop "kubelet$n" 10; done
	# Whatever the kubelets left: stop the sandboxes through containerd.
	for n in "${NODES[@]}"; do
		local s=/run/zerodrop-lab/node$n/containerd.sock t
		[[ -S $s ]] || continue
		for t in $(ctr -a "$s" -n k8s.io tasks ls -q 2>/dev/null); do
			ctr -a "$s" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
		done
	done
	for n in "${NODES[@]}"; do stop "containerd$n" 10; done
	# containerd's shims outlive it: end those of this lab, by pid.
	for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address /run/zerodrop-lab/" || true); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for n in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$n" 10; done
	# Mounts under the lab's directories (container rootfs, shm), deepest first.
	local m
	for m in $(awk '{print $2}' /proc/mounts | grep -E "^($LAB_DIR|/run/zerodrop-lab)/" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	# Network namespaces created while the lab was up.
	if [[ -f $LAB_DIR/before.txt ]]; then
		local ns
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
			sed -n '/^## netns/,/^## mounts/p' "$LAB_DIR/before.txt" | grep -qx "$ns" && continue
			[[ $ns == cni-* ]] || continue
			ip netns delete "$ns" 2>/dev/null || { umount -l "/run/netns/$ns" 2>/dev/null; rm -f "/run/netns/$ns"; }
		done
	fi
	# veths still on a lab bridge, then the bridges (their routes go with them).
	for n in "${NODES[@]}"; do
		local v
		for v in $(ip -o link show master "$(bridge "$n")" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
			ip link delete "$v" 2>/dev/null || true
		done
		ip link delete "$(bridge "$n")" 2>/dev/null || true
	done
	ip route del "$SERVICE_CIDR" 2>/dev/null || true
	# iptables chains the kubelet or kube-proxy left (KUBE-*, CNI-*).
	local t c rule
	for t in filter nat mangle; do
		while read -r rule; do
			eval "iptables -t $t ${rule/#-A/-D}" 2>/dev/null || true
		done < <(iptables -t "$t" -S 2>/dev/null | grep -E '^-A .*(KUBE-|CNI-)' || true)
		for c in $(iptables -t "$t" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/{print $2}'); do
			iptables -t "$t" -F "$c" 2>/dev/null || true
		done
		for c in $(iptables -t "$t" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/{print $2}'); do
			iptables -t "$t" -X "$c" 2>/dev/null || true
		done
	done
	conntrack -D -s "$LAB_CIDR" >/dev/null 2>&1 || true
	conntrack -D -d "$LAB_CIDR" >/dev/null 2>&1 || true
	# The nodes' cgroups, deepest first.
	local h
	for h in /sys/fs/cgroup/*/zdlab-node*; do
		[[ -d $h ]] || continue
		find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
	rm -rf /run/zerodrop-lab
	if [[ -f $LAB_DIR/before.txt ]]; then
		snapshot >"$LAB_DIR/after.txt"
		if ! diff -u "$LAB_DIR/before.txt" "$LAB_DIR/after.txt" >"$LAB_DIR/leftover.diff"; then
			log "left behind (compared with before 'up'):"
			grep '^[-+][^-+]' "$LAB_DIR/leftover.diff" >&2 || true
			cp "$LAB_DIR/leftover.diff" /tmp/zerodrop-lab-leftover.diff
			rm -rf "$LAB_DIR"
			log "down in $((SECONDS - start))s, with leftovers (see /tmp/zerodrop-lab-leftover.diff)"
			return 1
		fi
	fi
	rm -rf "$LAB_DIR"
	log "down in $((SECONDS - start))s"
}

case ${1:-} in
build) cmd_build ;;
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
status) cmd_status ;;
run)
	shift
	[[ -f $LAB_DIR/kubeconfig ]] || die "the lab is not up: tools/lab/lab.sh up"
	# The client side follows the checkout: a labctl or zerodrop older than
	# the model or the profiles would judge runs with the wrong code (or
	# refuse a profile key it does not know). The images stay as `up`
	# imported them.
	gobuild ./cmd/zerodrop ./tools/lab/labctl || die "building zerodrop and labctl failed"
	pin=()
	profile=$here/manifests/profile.yaml
	if [[ ${LAB_ISOLATE:-} == 1 ]]; then
		(($(nproc) >= 2)) || die "LAB_ISOLATE=1 needs two CPUs"
		isolate
		pin=(taskset -c 1)
		# kube-proxy's syncs as measured with the CPUs isolated (docs/lab.md,
		# ninth round); a --profile given to run still wins.
		profile=$here/manifests/profile-quiet.yaml
	fi
	exec "${pin[@]}" "$LAB_CACHE/bin/labctl" run --kubeconfig "$LAB_DIR/kubeconfig" --bin "$LAB_CACHE/bin" \
		--kubectl "$(cat "$LAB_DIR/bindir")/kubectl" --manifests "$here/manifests" --profile "$profile" "$@"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
