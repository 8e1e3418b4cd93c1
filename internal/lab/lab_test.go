package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

func TestGuard(t *testing.T) {
	for _, ok := range []string{"http://10.201.1.1:18080/", "http://10.201.0.15/x", "https://10.201.2.30:8443"} {
		if err := CheckURL(ok); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"http://127.0.0.1:80/", "http://10.200.1.1/", "http://example.com/", "http://[::1]:80/",
		"http://192.0.2.2:8080/", "ftp://10.201.1.1/", "http://10.201.1.1.nip.io/", "http://[::ffff:8.8.8.8]/"} {
		if err := CheckURL(bad); err == nil {
			t.Errorf("CheckURL(%q) = nil, want a refusal", bad)
		}
	}
	if CheckAddr(netip.MustParseAddr("::ffff:10.201.1.5")) != nil {
		t.Error("a v4-mapped lab address must pass")
	}
}

// TestHAProxyRuntime drives a real HAProxy (Debian's) through its runtime
// API on 127.0.0.1: a server gets an address, takes requests when ready,
// none in maint (503), and draining keeps it from new requests.
// startHAProxy runs the emulator's HAProxy in HTTP mode on a free port of
// 127.0.0.1 for one test, and skips the test where HAProxy is missing.
func startHAProxy(t *testing.T, idle time.Duration) (*HAProxy, string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed (apt-get install haproxy)")
	}
	old := checkListen
	checkListen = func(string) error { return nil }
	t.Cleanup(func() { checkListen = old })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	h, err := StartHAProxy(ctx, bin, t.TempDir(), listen, true, idle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h, listen
}

func TestHAProxyRuntime(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pod-a") }))
	defer backend.Close()
	baddr := backend.Listener.Addr().(*net.TCPAddr)

	h, listen := startHAProxy(t, 5*time.Second)
	get := func() (int, string) {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + listen + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(); code != http.StatusServiceUnavailable {
		t.Errorf("no server ready: status %d, want 503", code)
	}
	srv := Backend + "/t1"
	if err := h.Set(fmt.Sprintf("set server %s addr 127.0.0.1 port %d", srv, baddr.Port), "set server "+srv+" state ready"); err != nil {
		t.Fatal(err)
	}
	if code, body := get(); code != 200 || body != "pod-a" {
		t.Errorf("server ready: %d %q, want 200 pod-a", code, body)
	}
	if err := h.Set("set server " + srv + " state drain"); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(); code != http.StatusServiceUnavailable {
		t.Errorf("server draining: status %d, want 503 (no new requests)", code)
	}
	state, err := h.Command("show servers state " + Backend)
	if err != nil || !strings.Contains(state, "127.0.0.1") {
		t.Errorf("show servers state: %v\n%s", err, state)
	}
	// A target that refuses the connection: 502, as an ALB answers, and
	// no retry on another target.
	closed := testutil.FreePort(t)
	if err := h.Set(fmt.Sprintf("set server %s addr 127.0.0.1 port %d", srv, closed), "set server "+srv+" state ready"); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(); code != http.StatusBadGateway {
		t.Errorf("connection refused: status %d, want 502", code)
	}
	if err := h.Set("set server tg/t99 state ready"); err == nil {
		t.Error("a server that does not exist must be an error")
	}
	// The counters the lab reads the keep-alive share from: each request
	// that went to a server came on a new connection.
	out, err := h.Command("show stat")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseStats(out)
	if err != nil || st.Connects != 2 || st.Reuses != 0 {
		t.Errorf("stats %+v, %v: want 2 connects (one refused), 0 reuses", st, err)
	}
	// Every request is logged with its server and termination state.
	h.Stop()
	log, _ := os.ReadFile(filepath.Join(h.Dir, "haproxy.log"))
	if !strings.Contains(string(log), " tg/t1 ") || !strings.Contains(string(log), " 200 ") || !strings.Contains(string(log), " lb tg/<NOSRV> ") {
		t.Errorf("haproxy.log lacks the requests (server, status):\n%s", log)
	}
}

// TestParseStatsConns: the connections HAProxy holds to the targets are
// the pooled ones (idle, safe, in use) in HTTP mode, and the current
// sessions in TCP mode, which pools none; other proxies and the
// backend's own row do not count.
func TestParseStatsConns(t *testing.T) {
	head := "# pxname,svname,scur,connect,reuse,idle_conn_cur,safe_conn_cur,used_conn_cur\n"
	http := head + Backend + ",t1,1,10,90,2,3,1\n" + Backend + ",t2,0,5,45,1,0,0\n" +
		Backend + ",BACKEND,1,15,135,3,3,1\nlb,FRONTEND,9,0,0,,,\n"
	st, err := parseStats(http)
	if err != nil || st.Connects != 15 || st.Reuses != 135 || st.Conns != 7 || st.Used != 1 {
		t.Errorf("HTTP mode: %+v, %v; want 15 connects, 135 reuses, 7 connections, 1 in use", st, err)
	}
	tcp := head + Backend + ",t1,4,4,0,,,\n" + Backend + ",t2,3,3,0,,,\n"
	st, err = parseStats(tcp)
	if err != nil || st.Conns != 7 || st.Used != 0 {
		t.Errorf("TCP mode: %+v, %v; want 7 connections (the sessions)", st, err)
	}
}

// TestHAProxyKeepsIdleServerConnections: HAProxy's own purge of idle
// server connections (pool-purge-delay, 5 s by default) closed connections
// an ALB keeps until its idle timeout, so a stop's requests connected anew
// through kube-proxy where an ALB's would not. Two client connections get
// a server connection each (HAProxy gives a new client connection's first
// request its own), then requests go one at a time, leaving one server
// connection idle, for longer than the default purge delay: none may be
// closed.
func TestHAProxyKeepsIdleServerConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 7 s for HAProxy's purge; not in -short")
	}
	var mu sync.Mutex
	opened, closed := 0, 0
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			opened++
		case http.StateClosed, http.StateHijacked:
			closed++
		}
	}
	backend.Start()
	defer backend.Close()
	port := backend.Listener.Addr().(*net.TCPAddr).Port

	h, listen := startHAProxy(t, 60*time.Second)
	srv := Backend + "/t1"
	if err := h.Set(fmt.Sprintf("set server %s addr 127.0.0.1 port %d", srv, port), "set server "+srv+" state ready"); err != nil {
		t.Fatal(err)
	}
	get := func(c *http.Client) {
		resp, err := c.Get("http://" + listen + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	}
	a := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	b := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer a.CloseIdleConnections()
	defer b.CloseIdleConnections()
	get(a)
	get(b)
	for end := time.Now().Add(7 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		get(a)
	}
	mu.Lock()
	defer mu.Unlock()
	if opened != 2 || closed != 0 {
		t.Errorf("HAProxy opened %d server connections and closed %d in 7 s; want 2 and 0 (an ALB keeps an idle target connection for its idle timeout)", opened, closed)
	}
}
