package check

import (
	"strconv"
	"unsafe"

	"github.com/zerodrop/zerodrop/pkg/finding"
)

// sharer keeps the findings of a large input small: one rule reports the
// same fix and the same evidence ("spec.minReadySeconds 0", a profile's
// deregistration delay with its formula) for thousands of objects, and each
// finding held its own copy of them, and its evidence in a slice grown by
// appends. A sharer belongs to one goroutine.
type sharer struct {
	strs map[string]string
	// lists holds one evidence list per content (evidenceKey), once the
	// rule has reported shareFrom findings: a check of a few objects (each
	// webhook review) has nothing to share and pays nothing for it.
	lists map[string][]finding.Evidence
	key   []byte
	seen  int
	// text and evs are blocks the messages and evidence lists of a large
	// check are copied into, end to end: made among the rules' garbage,
	// each held a slot in memory whose neighbours were freed, and the
	// gaps kept the process a third larger than what it held. Blocks are
	// only appended to; what was handed out is never written again.
	text []byte
	evs  []finding.Evidence
	// bounds holds one evidence range per content.
	bounds map[finding.Bounds]*finding.Bounds
}

// Block sizes of sharer.text and sharer.evs.
const (
	textBlock = 64 << 10
	// evidenceBlock fills 64 KiB: a large object takes whole 8 KiB pages,
	// and 512 items took most of a page more.
	evidenceBlock = 64 << 10 / int(unsafe.Sizeof(finding.Evidence{}))
)

// keep returns a copy of v in the sharer's text block.
func (s *sharer) keep(v string) string {
	if len(v) == 0 || len(v) > textBlock/4 {
		return v
	}
	if len(s.text)+len(v) > cap(s.text) {
		s.text = make([]byte, 0, textBlock)
	}
	start := len(s.text)
	s.text = append(s.text, v...)
	return unsafe.String(&s.text[start], len(v))
}

// evidence returns room for n evidence items in the sharer's block.
func (s *sharer) evidence(n int) []finding.Evidence {
	if n > evidenceBlock/4 {
		return make([]finding.Evidence, n)
	}
	if len(s.evs)+n > cap(s.evs) {
		s.evs = make([]finding.Evidence, 0, evidenceBlock)
	}
	start := len(s.evs)
	s.evs = s.evs[:start+n]
	return s.evs[start : start+n : start+n]
}

// shareFrom is the number of a rule's findings after which their evidence
// lists are shared.
const shareFrom = 64

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

// bound returns r, or an earlier equal range.
func (s *sharer) bound(r *finding.Bounds) *finding.Bounds {
	if r == nil {
		return nil
	}
	if s.bounds == nil {
		s.bounds = map[finding.Bounds]*finding.Bounds{}
	}
	if w, ok := s.bounds[*r]; ok {
		return w
	}
	s.bounds[*r] = r
	return r
}

// compact returns f with its fix, message and evidence shared with earlier
// findings that have equal ones, and otherwise its evidence in a slice of its own,
// of the exact size: the rule's slice may have spare room, or be shared
// with other findings. Findings share evidence lists: no reader changes
// one (a writer that needs to copies the finding's list first).
func (s *sharer) compact(f finding.Finding) finding.Finding {
	f.Fix = s.str(f.Fix)
	s.seen++
	many := s.seen > shareFrom
	if many {
		// A fifth of a large input's messages repeat (the same advice
		// for equal workloads in namespaces of the same name).
		if m, ok := s.strs[f.Message]; ok {
			f.Message = m
		} else {
			f.Message = s.keep(f.Message)
			s.strs[f.Message] = f.Message
		}
	}
	if len(f.Evidence) == 0 {
		return f
	}
	var key []byte
	ok := false
	if many {
		if s.lists == nil {
			s.lists = map[string][]finding.Evidence{}
		}
		key, ok = evidenceKey(s.key[:0], f.Evidence)
		s.key = key
	}
	if ok {
		if ev, found := s.lists[string(key)]; found {
			f.Evidence = ev
			return f
		}
	}
	var ev []finding.Evidence
	if many {
		ev = s.evidence(len(f.Evidence))
	} else {
		ev = make([]finding.Evidence, len(f.Evidence))
	}
	for i, e := range f.Evidence {
		e.Name, e.Unit, e.Detail = s.str(e.Name), s.str(e.Unit), s.str(e.Detail)
		if many {
			// Equal ranges, one per finding as the rule made them,
			// are held once.
			e.Range = s.bound(e.Range)
		}
		ev[i] = e
	}
	f.Evidence = ev
	if ok {
		s.lists[string(key)] = ev
	}
	return f
}

// evidenceKey appends to b a key that is equal for equal evidence lists and
// different for different ones; ok is false for a list holding a value of
// a type the key does not spell (such a list is not shared).
func evidenceKey(b []byte, ev []finding.Evidence) (key []byte, ok bool) {
	str := func(v string) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	for _, e := range ev {
		str(e.Name)
		str(e.Unit)
		str(string(e.Source))
		str(e.Detail)
		switch v := e.Value.(type) {
		case nil:
			b = append(b, 'n')
		case string:
			b = append(b, 's')
			str(v)
		case bool:
			b = append(b, 'b')
			b = strconv.AppendBool(b, v)
		case int:
			b = append(b, 'i')
			b = strconv.AppendInt(b, int64(v), 10)
		case int32:
			b = append(b, 'j')
			b = strconv.AppendInt(b, int64(v), 10)
		case int64:
			b = append(b, 'k')
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b = append(b, 'f')
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		default:
			return b, false
		}
		if r := e.Range; r != nil {
			b = append(b, 'r')
			b = strconv.AppendInt(b, r.Low, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, r.High, 10)
			str(r.LowFrom)
			str(r.HighFrom)
		}
		b = append(b, ';')
	}
	return b, true
}

// findingChunks holds one rule's findings in chunks that double from a few
// findings up to 64 KiB of them: a slice grown by appends has up to half again
// its length spare, and copies itself on every growth; starting small keeps
// a check of one object (a webhook review runs every rule) from allocating
// a full chunk per rule.
type findingChunks [][]finding.Finding

const (
	firstChunkFindings = 4
	// chunkFindings fills 64 KiB: memory for a large object is counted
	// in 8 KiB pages, and 256 findings took most of an eighth page more.
	chunkFindings = 64 << 10 / int(unsafe.Sizeof(finding.Finding{}))
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
