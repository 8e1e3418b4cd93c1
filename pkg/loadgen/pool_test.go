package loadgen

// A rolling restart of a pool of real server processes behind a small load
// balancer, done the three ways the source write-up compares:
//
//   - no preStop hook: SIGTERM at once, while the load balancer still sends;
//   - a preStop pause longer than the load balancer's deregistration lag,
//     then SIGTERM to a server that exits at once;
//   - the same pause, then SIGTERM to a server run by package graceful.
//
// The load balancer is a round-robin reverse proxy that, like an ALB, keeps
// sending new requests to a target for a "deregistration lag" after it has
// been told the target is going, and answers 502 when a target fails.

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"
)

var nopLogger = log.New(io.Discard, "", 0)

type lbTarget struct {
	url    *url.URL
	goneAt time.Time // zero while registered
}

type testLB struct {
	mu      sync.Mutex
	targets []*lbTarget
	next    int
	lag     time.Duration
}

func newTestLB(lag time.Duration) (*testLB, *httptest.Server) {
	lb := &testLB{lag: lag}
	tr := &http.Transport{MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second}
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(r *httputil.ProxyRequest) {
			if t := lb.pick(); t != nil {
				r.SetURL(t)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
		ErrorLog:     nopLogger,
	}
	srv := httptest.NewServer(rp)
	return lb, srv
}

// pick returns the next target that still gets traffic, round robin.
func (lb *testLB) pick() *url.URL {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	now := time.Now()
	var live []*lbTarget
	for _, t := range lb.targets {
		if t.goneAt.IsZero() || now.Before(t.goneAt.Add(lb.lag)) {
			live = append(live, t)
		}
	}
	if len(live) == 0 {
		return nil
	}
	lb.next++
	return live[lb.next%len(live)].url
}

func (lb *testLB) register(rawURL string) {
	u, _ := url.Parse(rawURL)
	lb.mu.Lock()
	lb.targets = append(lb.targets, &lbTarget{url: u})
	lb.mu.Unlock()
}

// deregister starts the target's lag: it keeps getting requests until it
// ends.
func (lb *testLB) deregister(rawURL string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, t := range lb.targets {
		if t.url.String() == rawURL && t.goneAt.IsZero() {
			t.goneAt = time.Now()
		}
	}
}

// restartPool replaces each of the pool's backends, one at a time: start
// the new one and register it once ready, then delete the old one — the load
// balancer starts deregistering it and, at the same moment, the "kubelet"
// waits for the preStop pause, sends SIGTERM, and SIGKILL after the grace
// period. Traffic runs throughout; the failed requests are returned.
func restartPool(t *testing.T, mode string, preStop time.Duration) (map[Class]int, int) {
	const (
		lag   = time.Second
		grace = 5 * time.Second
		pool  = 3
	)
	lb, proxy := newTestLB(lag)
	defer proxy.Close()
	backendMode, drain := "plain", time.Duration(0)
	if mode == "graceful" {
		backendMode, drain = "graceful", 200*time.Millisecond
	}
	var old []*backend
	for i := 0; i < pool; i++ {
		b := startBackend(t, backendMode, drain)
		lb.register(b.url())
		old = append(old, b)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	results := make(chan []Result, 1)
	go func() {
		var res []Result
		Run(ctx, Config{URL: proxy.URL + "/mixed", Rate: 200, Timeout: 5 * time.Second}, func(r Result) { res = append(res, r) })
		results <- res
	}()
	time.Sleep(300 * time.Millisecond)

	var kubelet sync.WaitGroup
	for _, b := range old {
		nb := startBackend(t, backendMode, drain)
		lb.register(nb.url())
		lb.deregister(b.url())
		kubelet.Add(1)
		go func(b *backend) {
			defer kubelet.Done()
			time.Sleep(preStop)
			b.signal(syscall.SIGTERM)
			select {
			case <-b.done:
			case <-time.After(grace - preStop):
				b.signal(syscall.SIGKILL)
				<-b.done
			}
		}(b)
		time.Sleep(100 * time.Millisecond)
	}
	lastGone := time.Now()
	kubelet.Wait()
	// Traffic goes on until the load balancer has let go of the last old
	// backend, and a little after.
	time.Sleep(time.Until(lastGone.Add(lag + 300*time.Millisecond)))
	stop()
	res := <-results
	return countFailures(res), len(res)
}

func countFailures(res []Result) map[Class]int {
	m := map[Class]int{}
	for _, r := range res {
		if r.Failed() {
			m[r.Class]++
		}
	}
	return m
}

func total(m map[Class]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestRollingRestartThreeWays(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts three pools of processes")
	}
	const lag = time.Second
	noPreStop, n1 := restartPool(t, "plain", 0)
	preStop, n2 := restartPool(t, "plain", lag+300*time.Millisecond)
	gracefulRun, n3 := restartPool(t, "graceful", lag+300*time.Millisecond)
	t.Logf("no preStop:          %4d failed of %d %v", total(noPreStop), n1, noPreStop)
	t.Logf("preStop:             %4d failed of %d %v", total(preStop), n2, preStop)
	t.Logf("preStop + graceful:  %4d failed of %d %v", total(gracefulRun), n3, gracefulRun)

	if !(total(noPreStop) > total(preStop) && total(preStop) >= total(gracefulRun) && total(gracefulRun) == 0) {
		t.Errorf("want no preStop > preStop >= preStop+graceful == 0; got %d, %d, %d",
			total(noPreStop), total(preStop), total(gracefulRun))
	}
	// Without the pause the load balancer keeps sending to a closed port
	// for the whole lag: its share of 200 rps (a quarter to a fifth while
	// old and new backends overlap) for 1 s, three times.
	if total(noPreStop) < 50 {
		t.Errorf("no preStop: only %d failed", total(noPreStop))
	}
	for _, n := range []int{n1, n2, n3} {
		if n < 300 {
			t.Errorf("only %d requests in a run", n)
		}
	}
}
