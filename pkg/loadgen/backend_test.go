package loadgen

// Real backend processes for the tests: the test binary runs itself as an
// HTTP server when BACKEND_MODE is set, so a test can SIGKILL or SIGTERM a
// real process and watch what the traffic engine sees.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/graceful"
)

const (
	envMode       = "LOADGEN_TEST_BACKEND"     // "plain" or "graceful"
	envDrainDelay = "LOADGEN_TEST_DRAIN_DELAY" // graceful only
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envMode); mode != "" {
		os.Exit(serveBackend(mode))
	}
	os.Exit(m.Run())
}

// backendMux answers "/" at once, "/slow?d=DURATION" after a while, and
// "/mixed" at once except every tenth request, which takes a second.
func backendMux() *http.ServeMux {
	mux := http.NewServeMux()
	var n atomic.Int64
	mux.HandleFunc("/mixed", func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%10 == 0 {
			time.Sleep(time.Second)
		}
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
		io.WriteString(w, "slow\n")
	})
	return mux
}

// serveBackend runs in the child: it prints its address, then serves.
func serveBackend(mode string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	mux := backendMux()
	switch mode {
	case "plain":
		// No signal handling at all: SIGTERM ends the process at once, as it
		// does for a program that never looks at signals.
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
		fmt.Println(ln.Addr())
		http.Serve(ln, mux)
		return 0
	case "graceful":
		delay, _ := time.ParseDuration(os.Getenv(envDrainDelay))
		if delay == 0 {
			delay = -1
		}
		g := graceful.New(&http.Server{Handler: mux}, graceful.Options{DrainDelay: delay, ShutdownTimeout: 5 * time.Second})
		mux.Handle("/readyz", g.ReadinessHandler())
		fmt.Println(ln.Addr())
		return graceful.ExitCode(g.Serve(context.Background(), ln))
	}
	return 3
}

// backend is a running child process.
type backend struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// startBackend starts the test binary as a server and waits until it
// answers its readiness path.
func startBackend(t *testing.T, mode string, drainDelay time.Duration) *backend {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envMode+"="+mode, envDrainDelay+"="+drainDelay.String())
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &backend{cmd: cmd, done: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("backend did not print its address: %v", err)
	}
	b.addr = strings.TrimSpace(line)
	go func() {
		io.Copy(io.Discard, out)
		b.err = cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.done
	})
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.Get(b.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %s never became ready: %v", b.addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b
}

func (b *backend) url() string { return "http://" + b.addr }

func (b *backend) signal(sig os.Signal) {
	b.cmd.Process.Signal(sig)
}

// exitCode waits for the process to end and returns its exit code, or -1
// when a signal ended it.
func (b *backend) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(within):
		t.Fatalf("backend %s still running after %v", b.addr, within)
	}
	return b.cmd.ProcessState.ExitCode()
}
