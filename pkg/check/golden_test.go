package check_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/config"
	"github.com/zerodrop/zerodrop/pkg/load"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRuleGolden runs every case in testdata/rules. A case NAME.yaml is named
// for its rule (ZD003_...); NAME.want lists, one per line, the findings of
// that rule the case must produce ("severity RULE Kind/ns/name [container]"),
// and nothing else of that rule. An empty .want is a good case. A first-line
// comment "# kube-version: 1.29" sets the cluster version.
func TestRuleGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			rule, _, _ := strings.Cut(name, "_")
			opts := check.Options{Paths: []string{path}, Load: load.Options{}, Only: map[string]bool{rule: true}}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(string(data), "\n"); strings.HasPrefix(first, "# kube-version:") {
				kv, err := config.ParseKubeVersion(strings.TrimSpace(strings.TrimPrefix(first, "# kube-version:")))
				if err != nil {
					t.Fatal(err)
				}
				opts.KubeVersion = kv
			}
			res := check.Run(context.Background(), opts)
			if len(res.Errors) > 0 {
				t.Fatalf("input errors in a golden case: %+v", res.Errors)
			}
			var got []string
			for _, f := range res.Findings {
				line := fmt.Sprintf("%s %s %s/%s/%s", f.Severity, f.Rule, f.Object.Kind, f.Object.Namespace, f.Object.Name)
				if f.Container != "" {
					line += " " + f.Container
				}
				if f.Suppressed {
					line += " suppressed"
				}
				got = append(got, line)
				if f.Message == "" || f.Fix == "" && f.Rule != "ZD011" {
					t.Errorf("finding without message or fix: %+v", f)
				}
			}
			gotText := strings.Join(got, "\n")
			if gotText != "" {
				gotText += "\n"
			}
			wantPath := strings.TrimSuffix(path, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(wantPath, []byte(gotText), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("missing %s (run go test -run TestRuleGolden -update to create it, then review it): %v", wantPath, err)
			}
			if string(want) != gotText {
				t.Errorf("findings differ from %s\n--- want\n%s--- got\n%s\nmessages:\n%s", wantPath, want, gotText, messages(res))
			}
		})
	}
}

func messages(res *check.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "  %s %s: %s\n", f.Rule, f.Severity, f.Message)
	}
	return b.String()
}
