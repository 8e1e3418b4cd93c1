package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

func TestWebhookUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"webhook", "--warn-on", "loud"}, "--warn-on"},
		{[]string{"webhook", "--warn-on", "none"}, "--warn-on"},
		{[]string{"webhook", "--timeout", "0s"}, "--timeout"},
		{[]string{"webhook", "--port", "70000"}, "--port"},
		{[]string{"webhook", "--rules", "ZD999"}, "unknown rule"},
		{[]string{"webhook", "--kube-version", "one"}, "--kube-version"},
		{[]string{"webhook", "--log-level", "chatty"}, "--log-level"},
		{[]string{"webhook", "extra"}, "unknown command"},
		{[]string{"webhook", "--no-such-flag"}, "unknown flag"},
	} {
		code, _, stderr := run(t, "", c.args...)
		if code != ExitInput || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, ExitInput, c.want)
		}
	}
}

// With no API server to read, the webhook does not start: exit 1, at once.
func TestWebhookWithoutCluster(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"kubeconfig": `apiVersion: v1
kind: Config
clusters:
- name: none
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: none
  context: {cluster: none, user: none}
current-context: none
users:
- name: none
  user: {token: x}
`})
	start := time.Now()
	code, _, stderr := run(t, "", "webhook", "--kubeconfig", dir+"/kubeconfig", "--http-addr", "0", "--port", "19443", "--log-level", "error")
	if code != ExitFindings || !strings.Contains(stderr, "server version") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("took %s to give up", took)
	}
}

func TestWebhookHelp(t *testing.T) {
	code, stdout, _ := run(t, "", "webhook", "--help")
	for _, want := range []string{"--enforce", "--mutate", "--opt-in", "zerodrop.dev/webhook=off", "failurePolicy: Ignore"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if code != ExitOK {
		t.Errorf("exit %d", code)
	}
}
