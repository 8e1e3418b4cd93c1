package timing

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseProfile feeds profile files of any shape to ParseProfile. What
// must hold: the same bytes give the same profiles or the same error (no
// answer may depend on map order), every error names the file, and every
// profile it accepts is one the engines can use: each delay a range of
// whole seconds with 0 ≤ low ≤ high, kube-proxy's parts valid when stated,
// and a shutdown mode that SetShutdown accepts.
func FuzzParseProfile(f *testing.F) {
	for _, path := range []string{"../../tools/lab/manifests/profile.yaml", "../../tools/lab/manifests/profile-quiet.yaml"} {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"reconcile: 3\n",
		"reconcile: {low: 1, high: 2}\npresets:\n  NLB/ip: {deregisterPropagation: {low: 5, high: 8}}\n",
		"shutdown: graceful\n",
		"kubeProxy: {observe: {low: 0.02, high: 0.06}, sync: {low: 0.03, high: 0.08}}\n",
		"kubeProxy: {zeta: 1, alpha: 2}\n",
		"kubeProxy: {observe: {low: 1, high: 0}, sync: {low: 0, high: 1}}\n",
		"presets: {alb/IP: {margin: 2}, ALB/ip: {margin: 3}}\n",
		"endpointPropagation: {low: -1, high: 2}\n",
		"",
		"- a\n- b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		ps, err := ParseProfile(name, data)
		ps2, err2 := ParseProfile(name, data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("two parses disagree: %v / %v", err, err2)
		}
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if !reflect.DeepEqual(ps, ps2) {
			t.Fatalf("two parses of the same bytes differ")
		}
		for key, p := range ps.byKey {
			for k, r := range p.fields() {
				if r.Low < 0 || r.Low > r.High {
					t.Fatalf("%s: %s accepted as %d–%d", key, k, r.Low, r.High)
				}
			}
			if p.KubeProxy != nil {
				if err := p.KubeProxy.Validate(); err != nil {
					t.Fatalf("%s: kubeProxy accepted but invalid: %v", key, err)
				}
			}
		}
		if err := Default().SetShutdown(ps.Shutdown.Value, FromProfile, "fuzz"); err != nil {
			t.Fatalf("shutdown %q accepted but SetShutdown refuses it: %v", ps.Shutdown.Value, err)
		}
	})
}
