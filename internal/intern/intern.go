// Package intern shares equal values a large input repeats: the short
// strings YAML keys and values are made of ("app", "TCP", a namespace), and
// the small label maps every object of an app carries (a Service's selector,
// its Deployment's matchLabels, its PodDisruptionBudget's selector). On a
// stream of tens of thousands of objects these copies are a third of what
// the typed model holds.
//
// Each table is a fixed-size cache indexed by a hash, lock-free and safe for
// concurrent use: a miss or a collision only costs the sharing, never
// correctness, and what a table keeps is bounded whatever the input (a
// long-running webhook keeps at most one short string per slot, and no
// map that no object holds).
package intern

import (
	"fmt"
	"hash/maphash"
	"maps"
	"sync/atomic"
	"unsafe"
	"weak"
)

var seed = maphash.MakeSeed()

// maxString is the longest string shared: longer ones (images, messages,
// annotations holding JSON) rarely repeat and would hold memory in the table.
const maxString = 64

const stringSlots = 1 << 14

var strs [stringSlots]atomic.Pointer[string]

// Bytes returns b as a string, the same string as an earlier call with the
// same bytes where the table still holds it.
func Bytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxString {
		return string(b)
	}
	slot := &strs[maphash.Bytes(seed, b)&(stringSlots-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

// String returns s, or an equal string the table holds.
func String(s string) string {
	if len(s) == 0 || len(s) > maxString {
		return s
	}
	return Bytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// maxLabels bounds the maps shared, in entries: label sets and selectors
// are small; a large annotation map is compared in full on every hit.
const maxLabels = 16

// labelSlots is large enough that a stream sorted by kind (all Deployments,
// then all Services) still finds a Deployment's matchLabels when its
// Service comes: entries are small and do not keep their maps alive.
const labelSlots = 1 << 17

// A labelEntry holds its map weakly: the table never keeps a map that no
// object holds any more (a webhook sees objects for as long as it runs).
type labelEntry struct {
	hash uint64
	m    weak.Pointer[byte]
}

var labelTable [labelSlots]atomic.Pointer[labelEntry]

// Labels returns m, or a map equal to it that an earlier call returned.
// Maps passed here are shared between the objects that carry them, so
// neither the caller nor anyone it hands m to may change m afterwards.
// A nil or empty map is returned as it is (a selector tells the two apart).
func Labels(m map[string]string) map[string]string {
	if len(m) == 0 || len(m) > maxLabels {
		return m
	}
	// The hash of a map is the sum of its entries' hashes: independent of
	// the order a map is ranged in.
	var h uint64
	for k, v := range m {
		h += entryHash(k, v)
	}
	slot := &labelTable[h&(labelSlots-1)]
	if e := slot.Load(); e != nil && e.hash == h {
		if p := e.m.Value(); p != nil {
			if old := mapAt(p); maps.Equal(old, m) {
				return old
			}
		}
	}
	slot.Store(&labelEntry{hash: h, m: weak.Make(mapPointer(m))})
	return m
}

// A map value is a pointer to the runtime's map object: mapPointer and
// mapAt convert between the two, so that the table can hold maps weakly.
func mapPointer(m map[string]string) *byte { return *(**byte)(unsafe.Pointer(&m)) }

func mapAt(p *byte) map[string]string { return *(*map[string]string)(unsafe.Pointer(&p)) }

func entryHash(k, v string) uint64 {
	x := maphash.String(seed, k)*0x9e3779b97f4a7c15 ^ maphash.String(seed, v)
	// Mix, so that sums of entries spread over the table.
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}

// Unchanged reports the first map in the label table whose content no
// longer matches what it was shared with: a map changed after Labels
// returned it, which would change every object sharing it. Tests run the
// pipeline and then call it.
func Unchanged() error {
	for i := range labelTable {
		e := labelTable[i].Load()
		if e == nil {
			continue
		}
		p := e.m.Value()
		if p == nil {
			continue
		}
		m := mapAt(p)
		var h uint64
		for k, v := range m {
			h += entryHash(k, v)
		}
		if h != e.hash || len(m) == 0 {
			return fmt.Errorf("a shared label map was changed after it was shared: now %v", m)
		}
	}
	return nil
}
