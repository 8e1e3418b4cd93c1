package rules

import (
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// Key names one piece of evidence a finding carries. The rules write their
// evidence under these keys and every reader that picks one out (a rule's
// admission warning) reads it by key, so a renamed number cannot silently
// fall out of a warning.
type Key string

// Evidence keys.
const (
	KeyLoadBalancer    Key = "load balancer"
	KeyTargetType      Key = "target type"
	KeyStopSending     Key = timing.NameStopSending
	KeyRequiredPreStop Key = timing.NameRequiredPreStop
	KeyRequiredGrace   Key = timing.NameRequiredGrace
	KeyGracePeriod     Key = "terminationGracePeriodSeconds"
	KeyShutdown        Key = "shutdown"
	KeyShutdownMode    Key = "shutdown mode"
	KeyPodsWithoutGate Key = "pods without gate"
	KeyPods            Key = "pods"
	KeyFailurePolicy   Key = "failurePolicy"
	KeyEndpoints       Key = "endpoints"
)

// Fact is evidence under this key.
func (k Key) Fact(value any, source timing.Source, detail string) finding.Evidence {
	return finding.Fact(string(k), value, source, detail)
}

// In returns the evidence of f under this key (the last, if there are
// several), and whether there is one.
func (k Key) In(f finding.Finding) (finding.Evidence, bool) {
	var out finding.Evidence
	found := false
	for _, e := range f.Evidence {
		if e.Name == string(k) {
			out, found = e, true
		}
	}
	return out, found
}
