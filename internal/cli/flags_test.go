package cli

import (
	"testing"

	"github.com/spf13/cobra"
)

// Every command that reads manifests registers the same input flags, with
// the same help text, shorthand and default; audit and webhook share the
// settings they have in common with them.
func TestSharedFlagsSayTheSame(t *testing.T) {
	readers := map[string]*cobra.Command{"check": newCheckCmd(), "fix": newFixCmd(), "simulate": newSimulateCmd()}
	shared := []string{"filename", "recursive", "kustomize", "namespace", "selector", "values", "set", "release-name",
		"max-document-size", "profile", "kube-version", "config", "shutdown", "longest-request"}
	check := readers["check"].Flags()
	for name, c := range readers {
		for _, flag := range append(shared, "output") {
			f, want := c.Flags().Lookup(flag), check.Lookup(flag)
			if f == nil {
				t.Errorf("%s has no --%s", name, flag)
				continue
			}
			if f.Shorthand != want.Shorthand || (flag != "output" && (f.Usage != want.Usage || f.DefValue != want.DefValue)) {
				t.Errorf("%s --%s: %q %q (default %q); check: %q %q (default %q)", name, flag, f.Shorthand, f.Usage, f.DefValue,
					want.Shorthand, want.Usage, want.DefValue)
			}
		}
	}
	for name, c := range map[string]*cobra.Command{"audit": newAuditCmd(), "webhook": newWebhookCmd()} {
		for _, flag := range []string{"profile", "config", "rules"} {
			if f := c.Flags().Lookup(flag); f == nil || f.Usage != check.Lookup(flag).Usage {
				t.Errorf("%s --%s differs from check's", name, flag)
			}
		}
	}
	audit := newAuditCmd().Flags()
	for _, flag := range []string{"fail-on", "color", "verbose", "output"} {
		if audit.Lookup(flag).Usage != check.Lookup(flag).Usage {
			t.Errorf("audit --%s differs from check's", flag)
		}
	}
}
