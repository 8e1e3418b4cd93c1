package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/finding"
)

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	c, err := Load(write(t, "kubeVersion: \"1.30\"\nprofile: nlb.yaml\nfailOn: error\nrules:\n  ZD012: off\n  prestop: warning\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.KubeVersion != "1.30" || c.FailOn != "error" || !strings.HasSuffix(c.Profile, filepath.Join(filepath.Base(filepath.Dir(c.Path)), "nlb.yaml")) {
		t.Fatalf("unexpected config: %+v", c)
	}
	sev, err := c.RuleSeverity()
	if err != nil || sev["ZD012"] != 0 || sev["ZD003"] != finding.Warning {
		t.Fatalf("RuleSeverity = %v, %v", sev, err)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, content := range map[string]string{
		"unquoted version": "kubeVersion: 1.30\n",
		"unknown key":      "kubeVersoin: \"1.30\"\n",
		"unknown rule":     "rules:\n  ZD999: off\n",
		"bad grade":        "rules:\n  ZD003: fatal\n",
		"one rule twice":   "rules:\n  ZD003: off\n  prestop: error\n",
		"not yaml":         "rules: [\n",
	} {
		if _, err := Load(write(t, content), true); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Each error names the key and what is accepted.
	for content, want := range map[string]string{
		"FailOn: error\n":                         `line 1: unknown key "FailOn" (keys are case-sensitive: failOn); want one of kubeVersion, profile, failOn, namespace, rules`,
		"failOn: error\nfailOn: info\n":           "line 2: key failOn is set twice (first at line 1)",
		"rules:\n  ZD003: off\n  prestop: info\n": "line 3: rules: prestop is set twice (first as ZD003 at line 2)",
		"rules:\n  zd003: off\n":                  `line 2: rules: unknown rule "zd003"`,
		"rules:\n  PreStop: off\n":                `line 2: rules: unknown rule "PreStop"`,
		"failOn: fatal\n":                         `failOn: unknown severity "fatal" (want info, warning, error or none)`,
		"kubeVersion: \"one\"\n":                  `kubeVersion: kube version "one": want MAJOR.MINOR such as 1.30`,
		"namespace: Shop_1\n":                     `namespace "Shop_1"`,
	} {
		_, err := Load(write(t, content), true)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", content, err, want)
		}
	}
	if c, err := Load(filepath.Join(t.TempDir(), FileName), false); err != nil || c.Path != "" {
		t.Errorf("a missing default config must be empty, got %+v %v", c, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), true); err == nil {
		t.Error("a missing explicit config must be an error")
	}
}

func TestParseKubeVersion(t *testing.T) {
	for in, want := range map[string]string{"1.30": "1.30", "v1.29": "1.29", "1.31.2": "1.31", "1.28+": "1.28"} {
		v, err := ParseKubeVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseKubeVersion(%q) = %v, %v", in, v, err)
		}
	}
	for _, bad := range []string{"", "1", "one.two", "0.1"} {
		if _, err := ParseKubeVersion(bad); err == nil {
			t.Errorf("ParseKubeVersion(%q): no error", bad)
		}
	}
}

// FuzzLoad: whatever the file holds, Load gives the same answer twice (no
// result may hang on map order), names the file in every error, and
// accepts only a config every reader of it can use.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"kubeVersion: \"1.30\"\nprofile: nlb.yaml\nfailOn: error\nrules:\n  ZD012: off\n  prestop: warning\n",
		"rules:\n  ZD003: off\n  prestop: error\n",
		"rules:\n  ZD998: off\n  ZD999: off\n",
		"kubeVersion: 1.30\n",
		"namespace: Bad_NS\n",
		"",
		"[]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), FileName)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, true)
		c2, err2 := Load(p, true)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("two loads disagree: %v / %v", err, err2)
		}
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		sev, err := c.RuleSeverity()
		sev2, err2 := c2.RuleSeverity()
		if err != nil || err2 != nil || !reflect.DeepEqual(sev, sev2) {
			t.Fatalf("accepted config grades its rules differently: %v, %v / %v, %v", sev, err, sev2, err2)
		}
		if c.KubeVersion != "" {
			if _, err := ParseKubeVersion(c.KubeVersion); err != nil {
				t.Fatalf("accepted kubeVersion %q that does not parse: %v", c.KubeVersion, err)
			}
		}
		if c.FailOn != "" {
			if _, err := finding.ParseSeverity(c.FailOn); err != nil {
				t.Fatalf("accepted failOn %q: %v", c.FailOn, err)
			}
		}
	})
}
