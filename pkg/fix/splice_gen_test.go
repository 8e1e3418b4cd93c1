package fix

import (
	"context"
	"sync"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	yaml "go.yaml.in/yaml/v3"
)

// On a generated stream of the kinds and styles of bench/check.sh, every
// edited document is edited in place (TestMain checks each one trusted
// without parsing), and most without parsing it again.
func TestSpliceOnGeneratedStream(t *testing.T) {
	path, _ := generatedStream(t, 1500, 3)
	var mu sync.Mutex
	whole, trusted := 0, 0
	onWholeRender = func(*doc) { mu.Lock(); whole++; mu.Unlock() }
	verify := onUnverified
	onUnverified = func(out []byte, merged *yaml.Node) {
		verify(out, merged)
		mu.Lock()
		trusted++
		mu.Unlock()
	}
	defer func() { onWholeRender, onUnverified = nil, verify }()
	res, err := Run(context.Background(), Options{DryRun: true, Check: check.Options{Paths: []string{path}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) < 500 {
		t.Fatalf("only %d changes on the generated stream", len(res.Changes))
	}
	if whole > 0 {
		t.Errorf("%d documents were printed whole", whole)
	}
	if trusted == 0 {
		t.Errorf("no edit was trusted without parsing")
	}
	t.Logf("%d changes; %d document edits trusted without parsing", len(res.Changes), trusted)
}
