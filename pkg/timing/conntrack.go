package timing

// Connection tracking on the nodes, for traffic through kube-proxy
// (instance targets). kube-proxy's DNAT is decided on a connection's first
// packet and kept in the kernel's conntrack entry: a SYN sent to a pod
// whose IP has gone (the pod exited while kube-proxy still listed it) is
// never answered, and its entry stays in SYN_SENT for the SYN_SENT
// timeout. A later connection from the same source port to the same node
// port matches that entry and follows it to the dead pod, whatever
// kube-proxy's rules say by then (measured in the project's lab).

// ConntrackSynSent is how long an unanswered SYN's conntrack entry lives,
// renewed by every SYN that matches it.
var ConntrackSynSent = Between("conntrack SYN_SENT timeout", 120, 120, FromDefault, srcSynSent, srcSynSent)

// EphemeralPorts is how many source ports a client address uses for
// outgoing connections by default (net.ipv4.ip_local_port_range
// 32768–60999): a client that opens more new connections than this within
// ConntrackSynSent to one node port reuses source ports, and so meets the
// stale entries.
const EphemeralPorts = 60999 - 32768 + 1

const srcSynSent = "Linux net.netfilter.nf_conntrack_tcp_timeout_syn_sent default 120 s (Documentation/networking/nf_conntrack-sysctl.rst); ports from net.ipv4.ip_local_port_range default 32768–60999 (Documentation/networking/ip-sysctl.rst)"
