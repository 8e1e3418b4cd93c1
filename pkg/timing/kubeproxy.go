package timing

import "fmt"

// kube-proxy applies endpoint changes in serial, batched syncs, one
// kube-proxy per node. A change (an EndpointSlice update) reaches it
// through the EndpointSlice controller and its watch; it asks for a sync,
// which runs at once unless one ran less than the min sync period ago
// (then it runs when that period has passed since the last sync
// completed); requests made while a sync waits are coalesced into it, and
// a sync takes every change pending at its start, so a change that arrives
// while a sync runs waits for that sync, the min sync period and the next
// sync. (Kubernetes pkg/proxy/runner, BoundedFrequencyRunner: "at least
// minInterval must pass between the completion of one execution and the
// start of the next. Calls to Run() during this cooldown period are
// coalesced and deferred until the interval expires.")
//
// In the project's lab (one kube-proxy, v1.37, --iptables-min-sync-period=1s,
// load average 2): a sync took 0.03–0.07 s; the first of two pods deleted
// 20 ms apart left the rules 0.1 s after its deletion, the second 1.15 s
// after, one min sync period later, because its change arrived while the
// first one's sync ran.

// KubeProxyMinSync is kube-proxy's --iptables-min-sync-period (and the
// nftables mode's --min-sync-period).
var KubeProxyMinSync = Between("kube-proxy min sync period", 1, 1, FromDefault, srcMinSync, srcMinSync)

const srcMinSync = "kube-proxy --iptables-min-sync-period default 1 s (kube-proxy reference, facts §4.3): the least time between the end of one sync and the start of the next"

// KubeProxySyncs splits a profile's endpoint propagation range [lo, hi]
// in seconds (the time
// from a pod change until kube-proxy's rules have it, which is what
// kube-proxy's network programming histogram measures and what check
// judges against) into the parts of a batched sync, in seconds:
//
//   - Observe: from the change until kube-proxy sees it (the EndpointSlice
//     controller and the watch), drawn per change;
//   - Sync: how long one sync runs until its rules are in place, drawn per
//     sync, from 0;
//   - MinSync: the least time between the end of one sync and the start of
//     the next (KubeProxyMinSync, shortened when the range is narrower).
//
// A change waits at most for the sync that was running when it arrived, the
// min sync period and its own sync, so every change lands inside the range:
// Observe starts at its low end, and what the range leaves above the low
// end and the min sync period is shared evenly between the observation's
// spread and the two syncs (no public figure gives either part; the lab
// measures both well below it when idle). A point range is a fixed delay
// with neither spread nor sync time.
func KubeProxySyncs(lo, hi float64) (observeLow, observeHigh, syncHigh, minSync float64) {
	minSync = min(float64(KubeProxyMinSync.High), hi-lo)
	share := (hi - lo - minSync) / 3
	return lo, lo + share, share, minSync
}

// KubeProxyOneUpdate is the chance that endpoint changes made at one moment
// (the pods a scale-in deletes, the pods a drain evicts together) reach
// kube-proxy in one EndpointSlice update, so that one sync takes them all.
// The EndpointSlice controller syncs a Service from a work queue: pod
// changes that arrive before its sync of the Service begins are written in
// one update; one that arrives while that sync runs queues the Service
// again, and kube-proxy, which began its own sync on the first update, takes
// it a min sync period later. Which way it goes is a race between the
// deletions' API calls and the controller's sync; no public figure gives
// its odds. This value is a stated modelling choice whose only source is
// the project's lab (one kube-proxy, --iptables-min-sync-period=1s, load
// average 2–11): in 22 of 54 naive scale-ins and drains both stopped pods'
// changes came in one update; in the others the second came 11–290 ms
// after the first, after kube-proxy's sync had begun. Low and High are the
// binomial 95 % interval of that count. The simulator draws once per run
// whether changes of one moment coalesce; at a skew (check's agreement
// runs) it does not apply.
var KubeProxyOneUpdate = Share{
	Name: "endpoint changes of one moment in one EndpointSlice update",
	// 22 of 54, rounded.
	Value: 0.41, Low: 0.28, High: 0.54,
	From: "the project's lab: 22 of 54 naive scale-ins and drains (docs/lab.md, sixth round); no public source",
}

// Share is a probability known only from observations: Value is what the
// simulator uses, Low–High the interval the observations allow, From where
// they come from.
type Share struct {
	Name             string
	Value, Low, High float64
	From             string
}

// KubeProxyParts are the parts of kube-proxy's batched sync as measured
// where a profile's numbers come from, in seconds: Observe is from a pod
// change until kube-proxy's sync that takes it starts (the EndpointSlice
// controller, the watch, and kube-proxy's own queue), Sync how long that
// sync runs until its rules are in place. No public figure gives either
// (facts §4.3 gives only the min sync period), so the built-in presets
// have none and KubeProxySyncs shares their endpoint propagation range
// evenly; a profile file measured on its own nodes may state them (key
// kubeProxy), and From says where they come from.
type KubeProxyParts struct {
	Observe Span   `json:"observe"`
	Sync    Span   `json:"sync"`
	From    string `json:"from,omitempty"`
}

// Span is a range in fractional seconds.
type Span struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// KubeProxySplit is how the simulator draws kube-proxy's syncs: a change
// is observed ObserveLow–ObserveHigh after it is made, a sync runs
// SyncLow–SyncHigh, and MinSync separates the end of one sync from the
// start of the next.
type KubeProxySplit struct {
	ObserveLow, ObserveHigh, SyncLow, SyncHigh, MinSync float64
}

// SplitKubeProxy returns the parts of a batched sync for a profile's
// endpoint propagation range [lo, hi] in seconds: the measured parts when
// the profile states them (the min sync period as KubeProxySyncs has it),
// else KubeProxySyncs' even split.
func SplitKubeProxy(lo, hi float64, parts *KubeProxyParts) KubeProxySplit {
	oLo, oHi, sHi, minSync := KubeProxySyncs(lo, hi)
	if parts == nil {
		return KubeProxySplit{ObserveLow: oLo, ObserveHigh: oHi, SyncHigh: sHi, MinSync: minSync}
	}
	return KubeProxySplit{
		ObserveLow: parts.Observe.Low, ObserveHigh: parts.Observe.High,
		SyncLow: parts.Sync.Low, SyncHigh: parts.Sync.High, MinSync: minSync,
	}
}

// maxKubeProxyPart bounds a stated part of kube-proxy's sync, in seconds.
const maxKubeProxyPart = 60

// Validate says what is wrong with stated parts: each a range of
// non-negative seconds, low not above high.
func (k *KubeProxyParts) Validate() error {
	for _, s := range []struct {
		name string
		sp   Span
	}{{"observe", k.Observe}, {"sync", k.Sync}} {
		if !(s.sp.Low >= 0) || !(s.sp.High <= maxKubeProxyPart) || s.sp.Low > s.sp.High {
			return fmt.Errorf("kubeProxy.%s: want 0 ≤ low ≤ high ≤ %d seconds, got %v–%v", s.name, maxKubeProxyPart, s.sp.Low, s.sp.High)
		}
	}
	return nil
}
