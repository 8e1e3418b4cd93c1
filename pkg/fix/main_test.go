package fix

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/yamledit"
	yaml "go.yaml.in/yaml/v3"
)

// Every test of this package runs with a check behind the splicer: each
// edit it trusts without parsing (yamledit.Trusted, see doc.render) is parsed here, and the
// run fails if the text does not hold the merged tree.
func TestMain(m *testing.M) {
	var mu sync.Mutex
	var bad []string
	onUnverified = func(out []byte, merged *yaml.Node) {
		var n yaml.Node
		err := yaml.Unmarshal(out, &n)
		if err == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 && yamledit.SameTree(root(&n), root(merged)) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		bad = append(bad, fmt.Sprintf("parse error %v; text:\n%s", err, out))
	}
	code := m.Run()
	for _, b := range bad {
		fmt.Fprintln(os.Stderr, "an edit written without checking does not hold the tree:", b)
	}
	if len(bad) > 0 && code == 0 {
		code = 1
	}
	os.Exit(code)
}
