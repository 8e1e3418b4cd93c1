package config

import (
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/rules"
	yaml "go.yaml.in/yaml/v3"
)

// topKeys are the keys of .zerodrop.yaml, spelled as they must be.
var topKeys = []string{"kubeVersion", "profile", "failOn", "namespace", "rules"}

// checkKeys reads the file's key spelling, which the JSON decoding behind
// Load does not: encoding/json matches keys case-insensitively and lets a
// later duplicate win. Keys must be exact, each set once; under rules, a rule
// is named by its ID (ZD003) or its name (prestop), once either way.
func checkKeys(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of %s", top.Line, strings.Join(topKeys, ", "))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if !contains(topKeys, k.Value) {
			hint := ""
			for _, want := range topKeys {
				if strings.EqualFold(want, k.Value) {
					hint = fmt.Sprintf(" (keys are case-sensitive: %s)", want)
				}
			}
			return fmt.Errorf("line %d: unknown key %q%s; want one of %s", k.Line, k.Value, hint, strings.Join(topKeys, ", "))
		}
		if at, dup := seen[k.Value]; dup {
			return fmt.Errorf("line %d: key %s is set twice (first at line %d)", k.Line, k.Value, at)
		}
		seen[k.Value] = k.Line
		if k.Value == "rules" && v.Kind == yaml.MappingNode {
			if err := checkRuleKeys(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkRuleKeys checks the keys of the rules mapping.
func checkRuleKeys(m *yaml.Node) error {
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		r := rules.Lookup(k.Value)
		if r == nil || (k.Value != r.ID && k.Value != r.Name) {
			return fmt.Errorf("line %d: rules: unknown rule %q; name a rule by its ID or name as 'zerodrop rules' lists them (ZD003 or prestop)", k.Line, k.Value)
		}
		if prev, dup := seen[r.ID]; dup {
			return fmt.Errorf("line %d: rules: %s is set twice (first as %s at line %d)", k.Line, k.Value, prev.Value, prev.Line)
		}
		seen[r.ID] = k
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
