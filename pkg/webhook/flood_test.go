package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// costlySource makes every lookup cost d (less when the context ends
// first) and records how many run at once and whether any outlives its
// review's context.
type costlySource struct {
	*StaticSource
	d              time.Duration
	running, peak  atomic.Int64
	startedLate    atomic.Int64
	lookups, ended atomic.Int64
}

func (s *costlySource) Lookup(ctx context.Context, k Kind, ns, index, value string) ([]*Object, error) {
	if ctx.Err() != nil {
		s.startedLate.Add(1)
	}
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	s.lookups.Add(1)
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		s.ended.Add(1)
		return nil, ctx.Err()
	}
	return s.StaticSource.Lookup(ctx, k, ns, index, value)
}

// Flooded far past its capacity, the webhook answers every review within
// its budget (shedding what it cannot take, and stopping what runs out of
// time), runs no more reviews at once than its bound, and leaves nothing
// running behind.
func TestFloodIsShedWithinBudget(t *testing.T) {
	const (
		budget   = 500 * time.Millisecond
		inFlight = 4
		reviews  = 2000
		senders  = 100
	)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	src := &costlySource{StaticSource: cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML)), d: 30 * time.Millisecond}
	opts := testOptions()
	opts.Timeout, opts.MaxInFlight, opts.Metrics = budget, inFlight, m
	v := NewValidator(src, opts)

	// The handler's time for each review, from the request's arrival to the
	// written answer.
	var mu sync.Mutex
	var worst, worstHandle time.Duration
	hook := &admission.Webhook{Handler: admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		start := time.Now()
		resp := v.Handle(ctx, req)
		took := time.Since(start)
		mu.Lock()
		worstHandle = max(worstHandle, took)
		mu.Unlock()
		return resp
	})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		hook.ServeHTTP(w, r)
		took := time.Since(start)
		mu.Lock()
		worst = max(worst, took)
		mu.Unlock()
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	req := request(t, admissionv1.Create, obj(t, deploymentYAML), nil)
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &req.AdmissionRequest,
	})
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	var denied, failed atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= reviews {
				res, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				var out admissionv1.AdmissionReview
				err = json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				if err != nil || out.Response == nil {
					failed.Add(1)
				} else if !out.Response.Allowed {
					denied.Add(1)
				}
			}
		}()
	}
	wg.Wait()

	if n := failed.Load(); n > 0 {
		t.Errorf("%d reviews got no answer", n)
	}
	if n := denied.Load(); n > 0 {
		t.Errorf("%d reviews denied: the webhook must fail open", n)
	}
	// The budget, plus room for a machine busy with other work: the
	// handler answers at the deadline whatever the review is doing, and a
	// shed review is answered at once.
	if limit := budget + 2*time.Second; worstHandle > limit {
		t.Errorf("slowest answer took %s in the handler, over the budget of %s (+ %s)", worstHandle, budget, limit-budget)
	}
	if p := src.peak.Load(); p > inFlight {
		t.Errorf("%d reviews ran at once, bound %d", p, inFlight)
	}
	shed := counter(t, reg, "zerodrop_webhook_admissions_total", "result", ResultShed)
	checked := counter(t, reg, "zerodrop_webhook_admissions_total", "result", ResultWarned) +
		counter(t, reg, "zerodrop_webhook_admissions_total", "result", ResultTimeout)
	if shed == 0 || checked == 0 || shed+checked != reviews {
		t.Errorf("shed %v, checked or timed out %v, of %d reviews", shed, checked, reviews)
	}
	// A review stops at its deadline: no lookup starts after it (but for
	// one that was on its way when the deadline passed).
	if n := src.startedLate.Load(); n*100 > src.lookups.Load() {
		t.Errorf("%d of %d lookups started after their review's deadline", n, src.lookups.Load())
	}
	t.Logf("%d reviews from %d senders: %v shed, %v checked or timed out, %d lookups (%d cut by a deadline); slowest answer %s (%s in the handler)",
		reviews, senders, shed, checked, src.lookups.Load(), src.ended.Load(), worst, worstHandle)

	// Nothing is left running: the reviews that timed out have stopped.
	client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for (runtime.NumGoroutine() > goroutines+10 || src.running.Load() != 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines+10 {
		t.Errorf("%d goroutines after the flood, %d before", n, goroutines)
	}
	if r := src.running.Load(); r != 0 {
		t.Errorf("%d lookups still running", r)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("heap in use grew by %d MiB over the flood", grew>>20)
	}
}
