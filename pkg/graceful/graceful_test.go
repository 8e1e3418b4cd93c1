package graceful

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// start runs a graceful server on a loopback port and returns its base URL,
// the Server and a channel with Serve's result.
func start(t *testing.T, opts Options, srv *http.Server) (string, *Server, <-chan error) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
		io.WriteString(w, "slow")
	})
	if srv == nil {
		srv = &http.Server{}
	}
	srv.Handler = mux
	g := New(srv, opts)
	mux.Handle("/readyz", g.ReadinessHandler())
	mux.Handle("/livez", g.LivenessHandler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Serve(context.Background(), ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), g, done
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, strings.TrimSpace(string(b))
}

func TestDefaults(t *testing.T) {
	srv := &http.Server{}
	New(srv, Options{})
	if srv.IdleTimeout != DefaultIdleTimeout || srv.IdleTimeout <= 60*time.Second {
		t.Errorf("IdleTimeout = %v, want %v (above the ALB's 60 s)", srv.IdleTimeout, DefaultIdleTimeout)
	}
	if srv.ReadHeaderTimeout != DefaultReadHeaderTimeout {
		t.Errorf("ReadHeaderTimeout = %v", srv.ReadHeaderTimeout)
	}
	srv = &http.Server{IdleTimeout: time.Hour}
	New(srv, Options{})
	if srv.IdleTimeout != time.Hour {
		t.Errorf("an explicit IdleTimeout was changed to %v", srv.IdleTimeout)
	}
}

func TestReadinessFailsAtOnceAndServingGoesOn(t *testing.T) {
	base, g, done := start(t, Options{DrainDelay: 400 * time.Millisecond}, nil)
	c := &http.Client{Timeout: 5 * time.Second}

	if resp, body := get(t, c, base+"/readyz"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("readyz before drain: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, c, base+"/"); resp.Close {
		t.Fatal("a response before the drain asked to close the connection")
	}

	g.Drain()
	if resp, body := get(t, c, base+"/readyz"); resp.StatusCode != 503 || body != "draining" {
		t.Errorf("readyz while draining: %d %q, want 503 draining", resp.StatusCode, body)
	}
	if resp, body := get(t, c, base+"/livez"); resp.StatusCode != 200 || body != "ok" {
		t.Errorf("livez while draining: %d %q, want 200 ok", resp.StatusCode, body)
	}
	resp, body := get(t, c, base+"/")
	if resp.StatusCode != 200 || body != "hello" {
		t.Errorf("request while draining: %d %q", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Errorf("response while draining did not say Connection: close (Close=%v)", resp.Close)
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop after the drain delay")
	}
	if _, err := c.Get(base + "/"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestNotReadyAtStart(t *testing.T) {
	base, g, _ := start(t, Options{NotReadyAtStart: true}, nil)
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, body := get(t, c, base+"/readyz"); resp.StatusCode != 503 || body != "not ready" {
		t.Errorf("readyz before SetReady: %d %q", resp.StatusCode, body)
	}
	g.SetReady(true)
	if resp, _ := get(t, c, base+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz after SetReady(true): %d", resp.StatusCode)
	}
}

func TestInFlightRequestFinishesAfterListenerCloses(t *testing.T) {
	base, g, done := start(t, Options{DrainDelay: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second}, nil)
	c := &http.Client{Timeout: 5 * time.Second}
	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := c.Get(base + "/slow?d=700ms")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{string(b), err}
	}()
	for g.InFlight() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	g.Drain()
	r := <-res
	if r.err != nil || r.body != "slow" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestShutdownDeadlineCutsOff(t *testing.T) {
	base, g, done := start(t, Options{DrainDelay: -1, ShutdownTimeout: 200 * time.Millisecond}, nil)
	go func() {
		resp, err := http.Get(base + "/slow?d=3s")
		if err == nil {
			resp.Body.Close()
		}
	}()
	for g.InFlight() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	t0 := time.Now()
	g.Drain()
	err := <-done
	if !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("Serve = %v, want ErrShutdownTimeout", err)
	}
	if ExitCode(err) != 1 || ExitCode(nil) != 0 {
		t.Error("exit codes")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("shutdown took %v with a 200ms deadline", d)
	}
}

func TestSecondDrainSkipsDelay(t *testing.T) {
	_, g, done := start(t, Options{DrainDelay: time.Minute}, nil)
	g.Drain()
	time.Sleep(50 * time.Millisecond)
	g.Drain()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Drain did not cut the delay short")
	}
}

// TestHTTP2GoAway checks that HTTP/2 clients are sent away politely: a
// response during the drain arrives, and the next request opens a new
// connection instead of reusing the one the server said GOAWAY on.
func TestHTTP2GoAway(t *testing.T) {
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	base, g, _ := start(t, Options{DrainDelay: 2 * time.Second}, &http.Server{Protocols: &protos})

	tr := &http.Transport{Protocols: &protos, TLSClientConfig: &tls.Config{}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	reused := func() bool {
		var info httptrace.GotConnInfo
		req, _ := http.NewRequest("GET", base+"/", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { info = i },
		}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("got %s, want HTTP/2", resp.Proto)
		}
		return info.Reused
	}
	reused()
	if !reused() {
		t.Fatal("HTTP/2 connection was not reused before the drain")
	}
	g.Drain()
	reused() // answered, and carries the GOAWAY
	deadline := time.Now().Add(2 * time.Second)
	for reused() {
		if time.Now().After(deadline) {
			t.Fatal("client kept reusing the HTTP/2 connection after the server's GOAWAY")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
