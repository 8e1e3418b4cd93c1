package timing

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Profile is the set of delays for one kind of exposure (LB and target type).
type Profile struct {
	// Reconcile: from an endpoint change until the AWS Load Balancer
	// Controller has called the ELB API.
	Reconcile Value
	// RegisterPropagation: from RegisterTargets until the LB sends health
	// checks to the new target.
	RegisterPropagation Value
	// DeregisterPropagation: from DeregisterTargets until the LB sends the
	// target no new requests.
	DeregisterPropagation Value
	// EndpointPropagation: from a pod change until every kube-proxy has
	// reprogrammed its rules (what instance targets depend on).
	EndpointPropagation Value
	// GateRequeue: how often the controller re-reads target health while a
	// readiness gate waits.
	GateRequeue Value
	// Margin added to the stop-sending time for the required preStop.
	Margin Value
	// ShutdownAllowance: after SIGTERM, how long the app needs to finish and exit.
	ShutdownAllowance Value
	// LongestRequest: the longest request the app serves.
	LongestRequest Value
	// AppStartup: from container start until the app serves.
	AppStartup Value
}

// fields lists the profile's delays by their profile-file key.
func (p *Profile) fields() map[string]*Value {
	return map[string]*Value{
		"reconcile":             &p.Reconcile,
		"registerPropagation":   &p.RegisterPropagation,
		"deregisterPropagation": &p.DeregisterPropagation,
		"endpointPropagation":   &p.EndpointPropagation,
		"gateRequeue":           &p.GateRequeue,
		"margin":                &p.Margin,
		"shutdownAllowance":     &p.ShutdownAllowance,
		"longestRequest":        &p.LongestRequest,
		"appStartup":            &p.AppStartup,
	}
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

func preset(name string, secs int64, detail string) Value {
	return Value{Name: name, Seconds: secs, Source: FromPreset, Detail: detail}
}

func def(name string, secs int64, detail string) Value {
	return Value{Name: name, Seconds: secs, Source: FromDefault, Detail: detail}
}

// base is shared by every preset.
func base() Profile {
	return Profile{
		Reconcile:             preset("reconcile", 5, "AWS Load Balancer Controller watch and target-group reconcile"),
		RegisterPropagation:   preset("lb register propagation", 10, "ELB API to data plane, ALB (LBC #1719 estimate)"),
		DeregisterPropagation: preset("lb deregister propagation", 10, "ELB API to data plane, ALB (LBC #1719 estimate)"),
		EndpointPropagation:   preset("endpoint propagation", 5, "EndpointSlice update and kube-proxy resync (min 1 s)"),
		GateRequeue:           preset("gate requeue", 15, "controller re-reads target health every 15 s while a gate waits"),
		Margin:                preset("margin", 5, "safety margin on top of the stop-sending time"),
		ShutdownAllowance:     def("shutdown allowance", 10, "zerodrop default: time the app needs after SIGTERM"),
		LongestRequest:        def("longest request", 30, "zerodrop default: the longest request the app serves"),
		AppStartup:            def("app start-up", 5, "zerodrop default: container start until the app serves"),
	}
}

// Presets returns the built-in profile for each "LB/targetType" key.
func Presets() map[string]Profile {
	albIP := base()
	albInst := base()
	nlbIP := base()
	nlbIP.RegisterPropagation = preset("lb register propagation", 180, "NLB target registration takes 90–180 s (LBC #1834)")
	nlbIP.DeregisterPropagation = preset("lb deregister propagation", 120, "NLB keeps sending for at least 2 min after deregistration (LBC #2366, #3270)")
	nlbInst := nlbIP
	clb := base()
	return map[string]Profile{
		key(ALB, TargetIP): albIP, key(ALB, TargetInstance): albInst,
		key(NLB, TargetIP): nlbIP, key(NLB, TargetInstance): nlbInst,
		key(CLB, TargetInstance): clb, key(CLB, TargetIP): clb,
	}
}

func key(lb LB, targetType string) string { return string(lb) + "/" + targetType }

// Profiles is the preset table with the user's overrides applied.
type Profiles struct {
	byKey map[string]Profile
	// File is the profile file the overrides came from, if any.
	File string
}

// Default returns the built-in presets.
func Default() *Profiles { return &Profiles{byKey: Presets()} }

// For returns the profile for an LB kind and target type.
func (ps *Profiles) For(lb LB, targetType string) Profile {
	if p, ok := ps.byKey[key(lb, targetType)]; ok {
		return p
	}
	return ps.byKey[key(lb, TargetInstance)]
}

// profileFile is the YAML shape of --profile. Top-level delays apply to every
// preset; "presets" overrides one preset, keyed "NLB/ip" and so on.
type profileFile map[string]any

// LoadProfile reads a profile file and applies it over the presets.
func LoadProfile(path string) (*Profiles, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("timing profile %s: %w", path, err)
	}
	ps, err := ParseProfile(path, data)
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// ParseProfile applies profile file content over the presets.
func ParseProfile(name string, data []byte) (*Profiles, error) {
	var f profileFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("timing profile %s: %w", name, err)
	}
	ps := Default()
	ps.File = name
	presets, _ := f["presets"].(map[string]any)
	if f["presets"] != nil && presets == nil {
		return nil, fmt.Errorf("timing profile %s: presets must be a mapping of \"LB/targetType\" to delays", name)
	}
	for k, v := range f {
		if k == "presets" {
			continue
		}
		for pk, p := range ps.byKey {
			if err := set(&p, name, k, v); err != nil {
				return nil, err
			}
			ps.byKey[pk] = p
		}
	}
	for pk, body := range presets {
		canon := canonicalKey(pk)
		p, ok := ps.byKey[canon]
		if !ok {
			return nil, fmt.Errorf("timing profile %s: unknown preset %q (want one of ALB/ip, ALB/instance, NLB/ip, NLB/instance, CLB/instance)", name, pk)
		}
		m, ok := body.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("timing profile %s: preset %q must be a mapping of delays", name, pk)
		}
		for k, v := range m {
			if err := set(&p, name, k, v); err != nil {
				return nil, err
			}
		}
		ps.byKey[canon] = p
	}
	return ps, nil
}

func canonicalKey(k string) string {
	lb, tt, _ := strings.Cut(k, "/")
	return strings.ToUpper(lb) + "/" + strings.ToLower(tt)
}

func set(p *Profile, file, k string, v any) error {
	f, ok := p.fields()[k]
	if !ok {
		return fmt.Errorf("timing profile %s: unknown delay %q (known: %s)", file, k, strings.Join(Keys(), ", "))
	}
	secs, ok := v.(float64)
	if !ok || secs < 0 || secs > 86400 || secs != float64(int64(secs)) {
		return fmt.Errorf("timing profile %s: %s must be a whole number of seconds between 0 and 86400, got %v", file, k, v)
	}
	f.Seconds = int64(secs)
	f.Source = FromProfile
	f.Detail = "set in " + file
	return nil
}
