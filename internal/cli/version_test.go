package cli

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildInfoFromSettings(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/zerodrop/zerodrop", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "darwin"},
			{Key: "GOARCH", Value: "arm64"},
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := buildInfoFrom(bi, "")
	want := BuildInfo{Version: "v1.4.0", Revision: "0123456789abcdef", Dirty: true, BuildDate: "2026-12-01T10:00:00Z", GoVersion: "go1.26.8", Platform: "darwin/arm64"}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	text := got.Text()
	for _, s := range []string{"zerodrop v1.4.0", "0123456789abcdef-dirty", "2026-12-01T10:00:00Z", "go1.26.8", "darwin/arm64"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	// A build in a checkout has no module version: "dev"; -X wins over both.
	bi.Main.Version = "(devel)"
	if v := buildInfoFrom(bi, "").Version; v != "dev" {
		t.Errorf("devel build: version %q, want dev", v)
	}
	if v := buildInfoFrom(bi, "v9.9.9").Version; v != "v9.9.9" {
		t.Errorf("ldflags override: version %q", v)
	}
	if b := buildInfoFrom(nil, ""); b.Version != "dev" || b.GoVersion == "" || b.Platform == "" {
		t.Errorf("no build info: %+v", b)
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, errOut := run(t, "", "version", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var b BuildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if b != readBuildInfo() {
		t.Errorf("json %+v, build info %+v", b, readBuildInfo())
	}
	_, text, _ := run(t, "", "version")
	_, flag, _ := run(t, "", "--version")
	if text != flag || !strings.HasPrefix(text, "zerodrop "+b.Version+"\n") {
		t.Errorf("version %q and --version %q differ or lack the version", text, flag)
	}
	if code, _, errOut := run(t, "", "version", "-o", "yaml"); code != ExitInput || !strings.Contains(errOut, "want text or json") {
		t.Errorf("version -o yaml: exit %d, %q", code, errOut)
	}
}

func TestKubectlPluginName(t *testing.T) {
	for _, name := range []string{"kubectl-zerodrop", "kubectl-zerodrop.exe"} {
		var out, errb strings.Builder
		code := MainAs(name, []string{"check", "--help"}, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errb.String())
		}
		help := out.String()
		if !strings.Contains(help, "kubectl zerodrop check [PATH...]") || !strings.Contains(help, "  kubectl zerodrop check examples/seed/naive") {
			t.Errorf("%s: help does not name kubectl zerodrop:\n%s", name, help)
		}
	}
	var out strings.Builder
	MainAs("zerodrop", []string{"check", "--help"}, strings.NewReader(""), &out, &out)
	if strings.Contains(out.String(), "kubectl zerodrop") {
		t.Errorf("called as zerodrop, the help names kubectl:\n%s", out.String())
	}
}
