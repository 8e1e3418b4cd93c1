package check

import "github.com/zerodrop/zerodrop/pkg/finding"

// sharer keeps the findings of a large input small: one rule reports the
// same fix and the same evidence details ("spec.minReadySeconds", a
// profile's formula) for thousands of objects, and each finding held its
// own copy of them, and its evidence in a slice grown by appends. A sharer
// belongs to one goroutine.
type sharer struct {
	strs map[string]string
}

func newSharer() *sharer { return &sharer{strs: map[string]string{}} }

func (s *sharer) str(v string) string {
	if v == "" {
		return v
	}
	if w, ok := s.strs[v]; ok {
		return w
	}
	s.strs[v] = v
	return v
}

// compact returns f with its fix and evidence details shared with earlier
// findings and its evidence in a slice of its own, of the exact size: the
// rule's slice may have spare room, or be shared with other findings.
func (s *sharer) compact(f finding.Finding) finding.Finding {
	f.Fix = s.str(f.Fix)
	if len(f.Evidence) > 0 {
		ev := make([]finding.Evidence, len(f.Evidence))
		for i, e := range f.Evidence {
			e.Name, e.Unit, e.Detail = s.str(e.Name), s.str(e.Unit), s.str(e.Detail)
			ev[i] = e
		}
		f.Evidence = ev
	}
	return f
}

// findingChunks holds one rule's findings in chunks that double from a few
// findings up to a fixed size: a slice grown by appends has up to half again
// its length spare, and copies itself on every growth; starting small keeps
// a check of one object (a webhook review runs every rule) from allocating
// a full chunk per rule.
type findingChunks [][]finding.Finding

const (
	firstChunkFindings = 4
	chunkFindings      = 256
)

func (c *findingChunks) add(f finding.Finding) {
	if n := len(*c); n == 0 || len((*c)[n-1]) == cap((*c)[n-1]) {
		size := firstChunkFindings
		if n > 0 {
			size = min(2*cap((*c)[n-1]), chunkFindings)
		}
		*c = append(*c, make([]finding.Finding, 0, size))
	}
	last := &(*c)[len(*c)-1]
	*last = append(*last, f)
}

func (c findingChunks) len() int {
	n := 0
	for _, ch := range c {
		n += len(ch)
	}
	return n
}

// moveTo appends the findings to dst, letting each chunk go once copied.
func (c findingChunks) moveTo(dst []finding.Finding) []finding.Finding {
	for i, ch := range c {
		dst = append(dst, ch...)
		c[i] = nil
	}
	return dst
}
