package testenv

import (
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The embedded stage files become one kwok configuration: every word
// stands replaced, and each document is a Stage that YAML reads.
func TestKwokConfig(t *testing.T) {
	cfg := kwokConfig("v1.37.2")
	if w := regexp.MustCompile(`\b(ANNOTATION_[A-Z_]+|READY_STATUS|READY_STALE|GATES_OPEN|GATE_MESSAGE|KUBE_VERSION)\b`).FindString(cfg); w != "" {
		t.Errorf("%s left in the configuration", w)
	}
	if strings.HasPrefix(cfg, "#") {
		t.Error("the files' opening comments are in the configuration")
	}
	var names []string
	for _, doc := range strings.Split(cfg, "\n---\n") {
		var st struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &st); err != nil || st.Kind != "Stage" {
			t.Fatalf("%v, kind %q:\n%s", err, st.Kind, doc)
		}
		names = append(names, st.Metadata.Name)
	}
	if len(names) != 7 || !strings.Contains(cfg, `kubeletVersion: "v1.37.2"`) || !strings.Contains(cfg, AnnotationHonourGracePeriod) {
		t.Errorf("stages %v", names)
	}
}
