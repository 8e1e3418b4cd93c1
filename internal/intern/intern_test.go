package intern

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"
	"weak"
)

func TestBytesSharesEqualStrings(t *testing.T) {
	a := Bytes([]byte("containerPort"))
	b := Bytes([]byte("containerPort"))
	if a != "containerPort" || b != a {
		t.Fatalf("got %q and %q", a, b)
	}
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("the second call made a new string")
	}
	long := strings.Repeat("x", maxString+1)
	if got := Bytes([]byte(long)); got != long {
		t.Errorf("long string: got %q", got)
	}
	if Bytes(nil) != "" || String("") != "" {
		t.Error("empty input gives a non-empty string")
	}
}

// Whatever the table holds and whatever other goroutines do with it, the
// string returned equals the bytes given: random strings from few enough
// values to collide in the table, from several goroutines at once.
func TestBytesAlwaysEqual(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, 0, 80)
			for range 20000 {
				buf = buf[:0]
				for range r.IntN(80) {
					buf = append(buf, byte('a'+r.IntN(3)))
				}
				want := string(buf)
				if got := Bytes(buf); got != want {
					t.Errorf("Bytes(%q) = %q", want, got)
					return
				}
				// The caller's buffer is reused: what was returned must
				// not change with it.
				s := Bytes(buf)
				for i := range buf {
					buf[i] = 'z'
				}
				if s != want {
					t.Errorf("string changed with its source buffer: %q, want %q", s, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLabelsSharesEqualMaps(t *testing.T) {
	a := Labels(map[string]string{"app": "web", "tier": "front"})
	b := Labels(map[string]string{"tier": "front", "app": "web"})
	if mapPointer(a) != mapPointer(b) {
		t.Error("equal maps are not shared")
	}
	c := Labels(map[string]string{"app": "web", "tier": "back"})
	if !maps.Equal(c, map[string]string{"app": "web", "tier": "back"}) {
		t.Errorf("got %v", c)
	}
	var none map[string]string
	if Labels(none) != nil {
		t.Error("nil map came back non-nil")
	}
	if empty := Labels(map[string]string{}); empty == nil {
		t.Error("empty map came back nil: a selector tells the two apart")
	}
	if err := Unchanged(); err != nil {
		t.Fatal(err)
	}
}

// Labels always returns a map equal to its argument, for random maps that
// often repeat, from several goroutines at once.
func TestLabelsAlwaysEqual(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for range 20000 {
				m := map[string]string{}
				for range r.IntN(maxLabels + 3) {
					m[fmt.Sprint("k", r.IntN(4))] = fmt.Sprint(r.IntN(3))
				}
				want := maps.Clone(m)
				if got := Labels(m); !maps.Equal(got, want) || (got == nil) != (want == nil) {
					t.Errorf("Labels(%v) = %v", want, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The table does not keep a map alive: once no one holds it, it is
// collected.
func TestLabelsHoldsWeakly(t *testing.T) {
	m := map[string]string{"only": "here", "n": fmt.Sprint(rand.Int())}
	Labels(m)
	w := weak.Make(mapPointer(m))
	m = nil
	runtime.GC()
	runtime.GC()
	if w.Value() != nil {
		t.Error("the table kept a map no one holds")
	}
}

func TestUnchangedFindsAChangedMap(t *testing.T) {
	m := Labels(map[string]string{"app": "changed-later", "x": fmt.Sprint(rand.Int())})
	m["app"] = "other"
	if err := Unchanged(); err == nil {
		t.Error("a map changed after sharing went unnoticed")
	}
	delete(m, "app")
	m["app"] = "changed-later"
	if err := Unchanged(); err != nil {
		t.Errorf("after the change was undone: %v", err)
	}
}
