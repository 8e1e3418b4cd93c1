package timing

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Profile is the set of delays for one kind of exposure (LB and target type).
// Each is a Range with the source of each end.
type Profile struct {
	// Reconcile: from an endpoint change until the AWS Load Balancer
	// Controller has called the ELB API.
	Reconcile Range
	// RegisterPropagation: from RegisterTargets until the LB sends health
	// checks to the new target.
	RegisterPropagation Range
	// DeregisterPropagation: from DeregisterTargets until the LB sends the
	// target no new requests.
	DeregisterPropagation Range
	// EndpointPropagation: from a pod change until every kube-proxy has
	// reprogrammed its rules (what instance targets depend on).
	EndpointPropagation Range
	// GateRequeue: how often the controller re-reads target health while a
	// readiness gate waits.
	GateRequeue Range
	// Margin added to the stop-sending time for the required preStop.
	Margin Range
	// ShutdownAllowance: after SIGTERM, how long the app needs to finish and exit.
	ShutdownAllowance Range
	// LongestRequest: the longest request the app serves, when the
	// workload does not declare it (see App).
	LongestRequest Range
	// AppStartup: from container start until the app serves.
	AppStartup Range
	// PodStart: from pod creation until its container runs (scheduling,
	// sandbox; an image already on the node).
	PodStart Range
	// KubeProxy, when a profile file states it, is how kube-proxy's
	// syncs split EndpointPropagation on the nodes it was measured on
	// (KubeProxyParts); nil in the built-in presets.
	KubeProxy *KubeProxyParts
}

// fields lists the profile's delays by their profile-file key.
func (p *Profile) fields() map[string]*Range {
	return map[string]*Range{
		"reconcile":             &p.Reconcile,
		"registerPropagation":   &p.RegisterPropagation,
		"deregisterPropagation": &p.DeregisterPropagation,
		"endpointPropagation":   &p.EndpointPropagation,
		"gateRequeue":           &p.GateRequeue,
		"margin":                &p.Margin,
		"shutdownAllowance":     &p.ShutdownAllowance,
		"longestRequest":        &p.LongestRequest,
		"appStartup":            &p.AppStartup,
		"podStart":              &p.PodStart,
	}
}

// Delays returns the profile's delays in Keys order, for reports.
func (p Profile) Delays() []Range {
	f := p.fields()
	out := make([]Range, 0, len(f))
	for _, k := range Keys() {
		out = append(out, *f[k])
	}
	return out
}

// Keys returns the profile-file keys of every delay, sorted.
func Keys() []string {
	var p Profile
	var ks []string
	for k := range p.fields() {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Citations of the ends of the built-in ranges. "facts §" is a section of
// the project's fact sheet on public sources; the issue numbers are the
// reports behind it.
const (
	srcReconcileLow    = "zerodrop estimate: the controller reacts to an EndpointSlice watch event within a second (facts §1.7); no published latency"
	srcReconcileHigh   = "zerodrop estimate; RegisterTargets/DeregisterTargets are throttled to 4 qps, burst 20 (facts §1.7), so large rollouts take longer"
	srcALBPropLow      = "zerodrop estimate below the one public figure (facts §3.4)"
	srcALBPropHigh     = "user estimate of ELB API propagation \"about 10 s\" (aws-load-balancer-controller#1719, facts §3.4) with headroom; AWS documents no figure"
	srcNLBRegLow       = "maintainer: NLB target registration takes \"90 to 180 seconds\" (aws-load-balancer-controller#1834, facts §3.4)"
	srcNLBRegHigh      = srcNLBRegLow
	srcNLBDeregLow     = "NLB deregistration \"takes at least 2 minutes regardless of the deregistration delay\" (aws-load-balancer-controller#2366, #3270; aws/containers-roadmap#470; facts §3.4)"
	srcNLBDeregHigh    = "NLB data-plane changes reported to take up to 180 s (aws-load-balancer-controller#1834; facts §3.4); the seed write-up saw about 5 min of deregistration in all [UNCERTAIN]: widen with --profile"
	srcEndpointLow     = "kube-proxy --iptables-min-sync-period default 1 s (facts §4.3)"
	srcEndpointHigh    = "zerodrop estimate: the network programming latency SLO has no published number (facts §5)"
	srcGateRequeue     = "the controller re-queues a binding every 15 s while pods wait on target health (facts §1.7)"
	srcMargin          = "zerodrop policy: headroom on top of the stop-sending time"
	srcShutdownLow     = "a draining Go server exits as soon as its connections are idle (facts §6.2)"
	srcShutdownHigh    = "zerodrop default: time the app needs after SIGTERM; declare it with --profile"
	srcLongestRequest  = "zerodrop default: the longest request the app serves; declare it with the zerodrop.dev/longest-request annotation, --longest-request or --profile"
	srcAppStartupLow   = "zerodrop estimate"
	srcAppStartupHigh  = "stateless pod start-up SLO: p99 ≤ 5 s without image pull (facts §5)"
	srcPodStartLow     = "zerodrop estimate: scheduling and sandbox on a node that has the image"
	srcPodStartHigh    = "zerodrop estimate inside the stateless pod start-up SLO (creation to running, p99 ≤ 5 s without image pull, facts §5), leaving the rest to the app"
	presetDetailPrefix = "built-in preset"
)

func preset(name string, low, high int64, lowFrom, highFrom string) Range {
	r := Between(name, low, high, FromPreset, lowFrom, highFrom)
	r.Detail = presetDetailPrefix
	return r
}

func def(name string, low, high int64, lowFrom, highFrom string) Range {
	r := Between(name, low, high, FromDefault, lowFrom, highFrom)
	r.Detail = "zerodrop default"
	return r
}

// base is shared by every preset: the ALB figures.
func base() Profile {
	return Profile{
		Reconcile:             preset("reconcile", 0, 5, srcReconcileLow, srcReconcileHigh),
		RegisterPropagation:   preset("lb register propagation", 5, 15, srcALBPropLow, srcALBPropHigh),
		DeregisterPropagation: preset("lb deregister propagation", 5, 15, srcALBPropLow, srcALBPropHigh),
		EndpointPropagation:   preset("endpoint propagation", 1, 5, srcEndpointLow, srcEndpointHigh),
		GateRequeue:           preset("gate requeue", 15, 15, srcGateRequeue, srcGateRequeue),
		Margin:                preset("margin", 5, 5, srcMargin, srcMargin),
		ShutdownAllowance:     def("shutdown allowance", 1, 10, srcShutdownLow, srcShutdownHigh),
		LongestRequest:        def("longest request", 30, 30, srcLongestRequest, srcLongestRequest),
		AppStartup:            def("app start-up", 1, 5, srcAppStartupLow, srcAppStartupHigh),
		PodStart:              def("pod start", 1, 3, srcPodStartLow, srcPodStartHigh),
	}
}

// Presets returns the built-in profile for each "LB/targetType" key.
func Presets() map[string]Profile {
	albIP := base()
	albInst := base()
	nlbIP := base()
	nlbIP.RegisterPropagation = preset("lb register propagation", 90, 180, srcNLBRegLow, srcNLBRegHigh)
	nlbIP.DeregisterPropagation = preset("lb deregister propagation", 120, 180, srcNLBDeregLow, srcNLBDeregHigh)
	nlbInst := nlbIP
	clb := base()
	return map[string]Profile{
		key(ALB, TargetIP): albIP, key(ALB, TargetInstance): albInst,
		key(NLB, TargetIP): nlbIP, key(NLB, TargetInstance): nlbInst,
		key(CLB, TargetInstance): clb, key(CLB, TargetIP): clb,
	}
}

// PresetNames lists the preset keys a profile file may name, in order.
var PresetNames = []string{"ALB/ip", "ALB/instance", "NLB/ip", "NLB/instance", "CLB/instance"}

func key(lb LB, targetType string) string { return string(lb) + "/" + targetType }

// Profiles is the preset table with the user's overrides applied, and the
// app defaults (shutdown mode, longest request) every workload starts from.
type Profiles struct {
	byKey map[string]Profile
	// File is the profile file the overrides came from, if any.
	File string
	// Shutdown is what an app does on SIGTERM when its workload does not
	// say (annotation zerodrop.dev/shutdown).
	Shutdown Setting
}

// Setting is a named choice with its provenance.
type Setting struct {
	Value  string `json:"value"`
	Source Source `json:"source"`
	Detail string `json:"detail,omitempty"`
}

// Default returns the built-in presets.
func Default() *Profiles {
	return &Profiles{byKey: Presets(), Shutdown: Setting{Value: string(ShutdownDrain), Source: FromDefault,
		Detail: "zerodrop default: the app finishes in-flight requests on SIGTERM; declare it with the " + ShutdownAnnotation + " annotation, --shutdown or the profile key shutdown"}}
}

// For returns the profile for an LB kind and target type.
func (ps *Profiles) For(lb LB, targetType string) Profile {
	if p, ok := ps.byKey[key(lb, targetType)]; ok {
		return p
	}
	return ps.byKey[key(lb, TargetInstance)]
}

// SetLongestRequest sets the longest request of every preset (a flag).
func (ps *Profiles) SetLongestRequest(secs int64, src Source, detail string) {
	for k, p := range ps.byKey {
		p.LongestRequest = Range{Name: "longest request", Low: secs, High: secs, Source: src, Detail: detail}
		ps.byKey[k] = p
	}
}

// SetShutdown sets the default shutdown mode (a flag).
func (ps *Profiles) SetShutdown(mode string, src Source, detail string) error {
	m, err := ParseShutdown(mode)
	if err != nil {
		return err
	}
	ps.Shutdown = Setting{Value: string(m), Source: src, Detail: detail}
	return nil
}

// LoadProfile reads a profile file and applies it over the presets.
func LoadProfile(path string) (*Profiles, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("timing profile %s: %w", path, err)
	}
	return ParseProfile(path, data)
}

// ParseProfile applies profile file content over the presets. Each delay is
// a whole number of seconds (low = high) or a mapping {low: L, high: H}.
// Top-level delays apply to every preset; "presets" overrides one preset,
// keyed "NLB/ip" and so on; "shutdown" sets the default shutdown mode;
// "kubeProxy" states the measured parts of kube-proxy's sync
// ({observe: {low, high}, sync: {low, high}} in fractional seconds, see
// KubeProxyParts) for every preset.
// Unknown or duplicate keys, low > high and negative values are errors that
// name the key.
func ParseProfile(name string, data []byte) (*Profiles, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("timing profile %s: "+format, append([]any{name}, args...)...)
	}
	var f map[string]any
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fail("%w", err)
	}
	ps := Default()
	ps.File = name
	var presets map[string]any
	if raw, ok := f["presets"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fail("presets must be a mapping of \"LB/targetType\" to delays")
		}
		presets = m
	}
	if raw, ok := f["shutdown"]; ok {
		s, _ := raw.(string)
		if err := ps.SetShutdown(s, FromProfile, "shutdown in "+name); err != nil {
			return nil, fail("shutdown: %w", err)
		}
	}
	if raw, ok := f["kubeProxy"]; ok {
		kp, err := parseKubeProxy(name, raw)
		if err != nil {
			return nil, err
		}
		for pk, p := range ps.byKey {
			p.KubeProxy = kp
			ps.byKey[pk] = p
		}
	}
	for _, k := range sortedKeys(f) {
		if k == "presets" || k == "shutdown" || k == "kubeProxy" {
			continue
		}
		r, err := parseDelay(name, k, k, f[k])
		if err != nil {
			return nil, err
		}
		for pk, p := range ps.byKey {
			set(&p, r)
			ps.byKey[pk] = p
		}
	}
	seen := map[string]string{}
	for _, pk := range sortedKeys(presets) {
		canon := canonicalKey(pk)
		p, ok := ps.byKey[canon]
		if !ok || canon == key(CLB, TargetIP) {
			return nil, fail("unknown preset %q (want one of %s)", pk, strings.Join(PresetNames, ", "))
		}
		if prev, dup := seen[canon]; dup {
			return nil, fail("presets %q and %q name the same preset", prev, pk)
		}
		seen[canon] = pk
		m, ok := presets[pk].(map[string]any)
		if !ok {
			return nil, fail("preset %q must be a mapping of delays", pk)
		}
		for _, k := range sortedKeys(m) {
			r, err := parseDelay(name, k, "presets."+pk+"."+k, m[k])
			if err != nil {
				return nil, err
			}
			set(&p, r)
		}
		ps.byKey[canon] = p
		if canon == key(CLB, TargetInstance) {
			ps.byKey[key(CLB, TargetIP)] = p
		}
	}
	return ps, nil
}

// parsed is one delay read from a profile, with its key.
type parsed struct {
	key string
	r   Range
}

func set(p *Profile, d parsed) {
	f := p.fields()[d.key]
	name := f.Name
	*f = d.r
	f.Name = name
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func canonicalKey(k string) string {
	lb, tt, _ := strings.Cut(k, "/")
	return strings.ToUpper(lb) + "/" + strings.ToLower(tt)
}

const maxDelay = 86400

// parseDelay reads one delay: a number, or {low, high}. path names the key
// in errors ("presets.NLB/ip.deregisterPropagation").
func parseDelay(file, k, path string, v any) (parsed, error) {
	var p Profile
	if _, ok := p.fields()[k]; !ok {
		return parsed{}, fmt.Errorf("timing profile %s: %s: unknown key (known: %s, and presets, shutdown, kubeProxy)", file, path, strings.Join(Keys(), ", "))
	}
	secs := func(end string, x any) (int64, error) {
		f, ok := x.(float64)
		if !ok || f < 0 || f > maxDelay || f != float64(int64(f)) {
			return 0, fmt.Errorf("timing profile %s: %s%s must be a whole number of seconds between 0 and %d, got %v", file, path, end, maxDelay, x)
		}
		return int64(f), nil
	}
	r := Range{Source: FromProfile}
	switch x := v.(type) {
	case map[string]any:
		lo, hi, err := lowHigh(file, path, x)
		if err != nil {
			return parsed{}, err
		}
		if r.Low, err = secs(".low", lo); err != nil {
			return parsed{}, err
		}
		if r.High, err = secs(".high", hi); err != nil {
			return parsed{}, err
		}
		if r.Low > r.High {
			return parsed{}, fmt.Errorf("timing profile %s: %s: low %d is above high %d", file, path, r.Low, r.High)
		}
	default:
		n, err := secs("", v)
		if err != nil {
			return parsed{}, err
		}
		r.Low, r.High = n, n
	}
	r.Detail = "set in " + file
	r.LowFrom, r.HighFrom = "set in "+file, "set in "+file
	return parsed{key: k, r: r}, nil
}

// lowHigh returns a range mapping's low and high, refusing other keys or
// a missing end; path names the range in errors.
func lowHigh(file, path string, m map[string]any) (lo, hi any, err error) {
	for _, k := range sortedKeys(m) {
		if k != "low" && k != "high" {
			return nil, nil, fmt.Errorf("timing profile %s: %s: unknown key %q (want low and high)", file, path, k)
		}
	}
	lo, okL := m["low"]
	hi, okH := m["high"]
	if !okL || !okH {
		return nil, nil, fmt.Errorf("timing profile %s: %s: a range needs both low and high", file, path)
	}
	return lo, hi, nil
}

// parseKubeProxy reads the profile key kubeProxy: {observe: {low, high},
// sync: {low, high}}, in seconds (fractions allowed).
func parseKubeProxy(file string, v any) (*KubeProxyParts, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("timing profile %s: kubeProxy"+format, append([]any{file}, args...)...)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fail(": want a mapping {observe: {low, high}, sync: {low, high}}")
	}
	kp := &KubeProxyParts{From: "set in " + file}
	spans := map[string]*Span{"observe": &kp.Observe, "sync": &kp.Sync}
	for _, k := range sortedKeys(m) {
		if spans[k] == nil {
			return nil, fail(": unknown key %q (want observe and sync)", k)
		}
	}
	for _, k := range []string{"observe", "sync"} {
		r, ok := m[k].(map[string]any)
		if !ok {
			return nil, fail(".%s: want {low, high} in seconds", k)
		}
		rlo, rhi, err := lowHigh(file, "kubeProxy."+k, r)
		if err != nil {
			return nil, err
		}
		lo, okL := rlo.(float64)
		hi, okH := rhi.(float64)
		if !okL || !okH {
			return nil, fail(".%s: low and high must both be numbers of seconds", k)
		}
		*spans[k] = Span{Low: lo, High: hi}
	}
	if err := kp.Validate(); err != nil {
		return nil, fmt.Errorf("timing profile %s: %w", file, err)
	}
	return kp, nil
}
