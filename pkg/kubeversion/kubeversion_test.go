package kubeversion

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Version{
		"1.30": {Major: 1, Minor: 30}, "v1.29": {Major: 1, Minor: 29}, "1.31.2": {Major: 1, Minor: 31}, " 1.28+ ": {Major: 1, Minor: 28},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "x.30", "0.30", "1.x", "1.-1", "1x.30", "1.30x", "1.+30", "1.3 0", "1.99999999999999999999", "+1.30"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) took a bad version", in)
		}
	}
	if v, err := FromServer("1", "30+"); err != nil || v != (Version{Major: 1, Minor: 30}) {
		t.Errorf("FromServer(1, 30+) = %v, %v", v, err)
	}
}

func TestAdvice(t *testing.T) {
	for _, c := range []struct {
		v                 Version
		sleep, v1beta1PDB bool
	}{
		{Version{Major: 1, Minor: 24}, false, true},
		{Version{Major: 1, Minor: 25}, false, false},
		{Version{Major: 1, Minor: 29}, false, false},
		{Version{Major: 1, Minor: 30}, true, false},
		{Version{Major: 2, Minor: 0}, true, false},
	} {
		if c.v.NativeSleep() != c.sleep || c.v.ServesPolicyV1beta1() != c.v1beta1PDB {
			t.Errorf("%s: native sleep %v, policy/v1beta1 %v; want %v, %v", c.v, c.v.NativeSleep(), c.v.ServesPolicyV1beta1(), c.sleep, c.v1beta1PDB)
		}
	}
	if !Default.Assumed || Default.String() != "1.31" {
		t.Errorf("Default = %+v", Default)
	}
}

// FuzzParse: a version Parse accepts prints as MAJOR.MINOR and reads back
// as itself, and its input's first two fields are exactly those numbers.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.30", "v1.29", "1.31.2", " 1.28+ ", "1.30.2-eks-1234", "1x.30", "1.", ".1", "01.030"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(v.String())
		if err != nil || again != v {
			t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v, %v", s, v, v.String(), again, err)
		}
		parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(s), "v"), ".", 3)
		for _, p := range []string{parts[0], strings.TrimSuffix(parts[1], "+")} {
			if p == "" || strings.Trim(p, "0123456789") != "" {
				t.Fatalf("Parse(%q) = %v from a field %q that is not a number", s, v, p)
			}
		}
	})
}
