package check

import (
	"strconv"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/finding"
)

// findingChunks keeps every finding in order, starts small (a check of one
// object must not allocate a full chunk per rule) and never holds more spare
// room than one full chunk.
func TestFindingChunks(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 100, 255, 256, 257, 1000, 5000} {
		var c findingChunks
		for i := range n {
			c.add(finding.Finding{Message: strconv.Itoa(i)})
		}
		if c.len() != n {
			t.Fatalf("n=%d: len %d", n, c.len())
		}
		room := 0
		for _, ch := range c {
			room += cap(ch)
		}
		if n > 0 && cap(c[0]) != firstChunkFindings {
			t.Errorf("n=%d: first chunk holds %d, want %d", n, cap(c[0]), firstChunkFindings)
		}
		if spare := room - n; spare >= chunkFindings && spare > n {
			t.Errorf("n=%d: %d findings of spare room", n, spare)
		}
		got := c.moveTo(nil)
		for i, f := range got {
			if f.Message != strconv.Itoa(i) {
				t.Fatalf("n=%d: finding %d is %q", n, i, f.Message)
			}
		}
		for i, ch := range c {
			if ch != nil {
				t.Errorf("n=%d: chunk %d kept after moveTo", n, i)
			}
		}
	}
}
