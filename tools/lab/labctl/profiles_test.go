package main

import (
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/timing"
)

// The lab has two profiles: profile.yaml for runs on a loaded machine and
// profile-quiet.yaml for quiet or isolated ones (docs/lab.md, ninth round).
// They must differ in kube-proxy's measured parts only; every other delay
// is one fact, and this test holds the two files to it.
func TestLabProfilesDifferOnlyInKubeProxy(t *testing.T) {
	loaded, err := timing.LoadProfile("../manifests/profile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := timing.LoadProfile("../manifests/profile-quiet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Shutdown.Value != quiet.Shutdown.Value {
		t.Errorf("shutdown: %q in profile.yaml, %q in profile-quiet.yaml", loaded.Shutdown.Value, quiet.Shutdown.Value)
	}
	for _, name := range timing.PresetNames {
		lb, tt, _ := strings.Cut(name, "/")
		a, b := loaded.For(timing.LB(lb), tt), quiet.For(timing.LB(lb), tt)
		da, db := a.Delays(), b.Delays()
		for i := range da {
			if da[i].Low != db[i].Low || da[i].High != db[i].High {
				t.Errorf("%s: %s is %d–%d in profile.yaml but %d–%d in profile-quiet.yaml", name, da[i].Name, da[i].Low, da[i].High, db[i].Low, db[i].High)
			}
		}
		if a.KubeProxy == nil || b.KubeProxy == nil {
			t.Fatalf("%s: both lab profiles state kube-proxy's measured parts (kubeProxy)", name)
		}
		if a.KubeProxy.Observe == b.KubeProxy.Observe && a.KubeProxy.Sync == b.KubeProxy.Sync {
			t.Errorf("%s: kubeProxy is the same in both profiles; one of them is then redundant", name)
		}
	}
}
