package cli

import (
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

// Every bad flag value is an exit 2 naming the flag, the value and what is
// accepted.
func TestFlagValidation(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"risky.yaml": risky})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--color", "rainbow", dir}, "--color rainbow: want auto, always or never"},
		{[]string{"audit", "--color", "rainbow"}, "--color rainbow: want auto, always or never"},
		{[]string{"check", "--max-document-size", "0", dir}, "--max-document-size 0: want 1 to 536870912 bytes"},
		{[]string{"fix", "--max-document-size", "-1", dir}, "--max-document-size -1: want 1 to 536870912 bytes"},
		{[]string{"check", "-n", "Shop_1", dir}, "--namespace Shop_1: want a namespace name"},
		{[]string{"simulate", "-n", "", dir}, `--namespace "": want a namespace name`},
		{[]string{"simulate", "--nodes", "0"}, "--nodes 0: want 1 to 100000"},
		{[]string{"simulate", "--scale-to", "-2"}, "--scale-to -2: want 0 to 100000"},
		{[]string{"simulate", "--drain-nodes", "-1"}, "--drain-nodes -1: want 0 to 100000"},
		{[]string{"simulate", "--workers", "-1"}, "--workers -1: want 0 to 4096"},
		{[]string{"audit", "--stuck-after", "-5m"}, "--stuck-after -5m0s: want a positive duration"},
		{[]string{"audit", "--call-timeout", "0s"}, "--call-timeout 0s: want a positive duration"},
		{[]string{"webhook", "--max-warnings", "-1"}, "--max-warnings -1: want 0 to 1000"},
		{[]string{"check", "--longest-request", "-5s", dir}, "--longest-request"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, "", c.args...)
			if code != ExitInput || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, c.want)
			}
		})
	}
}

// Help texts say each default once.
func TestHelpSaysDefaultsOnce(t *testing.T) {
	for _, cmd := range []string{"check", "fix", "simulate", "audit", "webhook", "verify", "rules", "explain"} {
		_, out, _ := run(t, "", cmd, "--help")
		for _, line := range strings.Split(out, "\n") {
			if strings.Count(line, "(default") > 1 || strings.Contains(line, "(default -1)") {
				t.Errorf("%s --help: %q", cmd, line)
			}
		}
	}
}
