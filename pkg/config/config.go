// Package config reads .zerodrop.yaml: project-wide settings a team keeps
// next to its manifests (rule grades, the timing profile, the cluster
// version), so CI and desks run the same check.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// FileName is the config file looked up in the working directory.
const FileName = ".zerodrop.yaml"

// Config is the content of .zerodrop.yaml.
type Config struct {
	// KubeVersionRaw only lets strict decoding accept the key; see KubeVersion.
	KubeVersionRaw any `json:"kubeVersion,omitempty"`
	// KubeVersion is the target cluster's version, e.g. "1.30" (quoted:
	// unquoted, YAML reads 1.30 as the number 1.3).
	KubeVersion string `json:"-"`
	// Profile is a timing profile file, relative to the config file.
	Profile string `json:"profile,omitempty"`
	// FailOn is the lowest severity that fails the check.
	FailOn string `json:"failOn,omitempty"`
	// Namespace is the namespace of objects that have none.
	Namespace string `json:"namespace,omitempty"`
	// Rules maps a rule ID or name to "off" (findings kept, marked
	// suppressed) or a severity.
	Rules map[string]string `json:"rules,omitempty"`

	// Path is where the config was read from.
	Path string `json:"-"`
}

// Load reads a config file. With explicit false, a missing file is not an
// error and yields an empty config.
func Load(path string, explicit bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := checkKeys(data); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var c Config
	if err := yaml.UnmarshalStrict(bytes.TrimSpace(data), &c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	// Read kubeVersion on its own, untyped, so that an unquoted 1.30 (the
	// number 1.3 to YAML) is refused instead of silently meaning 1.3.
	var raw struct {
		KubeVersion any `json:"kubeVersion"`
	}
	if err := yaml.Unmarshal(bytes.TrimSpace(data), &raw); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	switch v := raw.KubeVersion.(type) {
	case nil:
	case string:
		c.KubeVersion = v
	default:
		return nil, fmt.Errorf("config %s: kubeVersion must be a quoted string such as \"1.30\" (unquoted, YAML reads 1.30 as the number 1.3), got %v", path, v)
	}
	c.Path = path
	if c.Profile != "" && !filepath.IsAbs(c.Profile) {
		c.Profile = filepath.Join(filepath.Dir(path), c.Profile)
	}
	if _, err := c.RuleSeverity(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if c.FailOn != "" {
		if _, err := finding.ParseSeverity(c.FailOn); err != nil {
			return nil, fmt.Errorf("config %s: failOn: %w", path, err)
		}
	}
	if c.KubeVersion != "" {
		if _, err := ParseKubeVersion(c.KubeVersion); err != nil {
			return nil, fmt.Errorf("config %s: kubeVersion: %w", path, err)
		}
	}
	if c.Namespace != "" {
		if errs := validation.IsDNS1123Label(c.Namespace); len(errs) > 0 {
			return nil, fmt.Errorf("config %s: namespace %q: %s", path, c.Namespace, strings.Join(errs, "; "))
		}
	}
	return &c, nil
}

// RuleSeverity returns the re-grading map (rule ID → severity, 0 = off).
func (c *Config) RuleSeverity() (map[string]finding.Severity, error) {
	out := map[string]finding.Severity{}
	for k, v := range c.Rules {
		r := rules.Lookup(k)
		if r == nil {
			return nil, fmt.Errorf("rules: unknown rule %q (see zerodrop rules)", k)
		}
		if strings.EqualFold(v, "off") || strings.EqualFold(v, "false") || strings.EqualFold(v, "disabled") {
			out[r.ID] = 0
			continue
		}
		sev, err := finding.ParseSeverity(v)
		if err != nil || sev == 0 {
			return nil, fmt.Errorf("rules: %s: want off, info, warning or error, got %q", k, v)
		}
		out[r.ID] = sev
	}
	return out, nil
}

// ParseKubeVersion reads "1.30", "v1.30" or "1.30.2" (kubeversion.Parse).
func ParseKubeVersion(s string) (kubeversion.Version, error) { return kubeversion.Parse(s) }
