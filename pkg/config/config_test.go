package config

import (
	"os"
	"path/filepath"
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
