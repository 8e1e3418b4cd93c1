package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// checkListen guards the listen address; tests swap it to use 127.0.0.1.
var checkListen = CheckHostPort

// Slots is how many targets one emulated target group can hold at once.
const Slots = 32

// HAProxy is a running HAProxy with one frontend and one backend of Slots
// servers, all in maintenance until the emulator gives them an address.
type HAProxy struct {
	Dir    string
	Socket string
	cmd    *exec.Cmd
	done   chan error
	stop   sync.Once
}

// Backend is the name of the emulated target group in HAProxy.
const Backend = "tg"

// haproxyConfig writes the configuration: HTTP mode behaves like an ALB
// (a new server connection when needed, 503 with no target, 504 past the
// idle timeout, no retry), TCP mode like an NLB (a flow stays on the target
// it was given). Servers carry no health check: the emulator checks the
// targets itself on the load balancer's schedule and sets their state.
// Every request (HTTP) or connection (TCP) is logged to standard output
// (haproxy.log) with the server it went to, its timers and its termination
// state, so a run's failures can be traced to a target and a cause.
func haproxyConfig(socket, listen string, http bool, idle time.Duration) string {
	mode, logOpt := "tcp", "tcplog"
	if http {
		mode, logOpt = "http", "httplog"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `global
    stats socket %s mode 600 level admin
    maxconn 4000
    log stdout format raw local0 info
defaults
    mode %s
    log global
    option %s
    retries 0
    timeout connect 10s
    timeout client %ds
    timeout server %ds
    timeout http-keep-alive %ds
    timeout http-request 10s
frontend lb
    bind %s
    default_backend %s
backend %s
    balance roundrobin
`, socket, mode, logOpt, int(idle.Seconds()), int(idle.Seconds()), int(idle.Seconds()), listen, Backend, Backend)
	if http {
		b.WriteString("    http-reuse safe\n")
		// An ALB answers 502 when a target refuses the connection and
		// 503 only when it has no target (facts §3.2); HAProxy says 503
		// for both. A failed connect to a server becomes 502 (also one
		// to an address that no longer answers, where an ALB says 504
		// after its 10 s connect timeout).
		b.WriteString("    http-after-response set-status 502 if { status 503 } { srv_id -m found }\n")
		// HAProxy closes idle server connections every pool-purge-delay
		// (5 s by default; its manual: half of the idle ones each
		// interval), even ones used a millisecond before, and the next
		// request to that server then connects anew through kube-proxy. An ALB closes a target
		// connection once it has been idle for its idle timeout (facts
		// §3.5); the 5 s purge has no ALB counterpart, and its first tick
		// fell 0.7–0.9 s after a stop, where kube-proxy still listed a
		// gone pod (docs/lab.md, tenth round).
		fmt.Fprintf(&b, "    default-server pool-purge-delay %ds\n", int(idle.Seconds()))
	}
	fmt.Fprintf(&b, "    server-template t 1-%d 127.0.0.1:9 disabled\n", Slots)
	return b.String()
}

// StartHAProxy runs HAProxy in the foreground (-db) under dir, listening on
// listen ("ip:port", which must be a lab address).
func StartHAProxy(ctx context.Context, bin, dir, listen string, http bool, idle time.Duration) (*HAProxy, error) {
	if err := checkListen(listen); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	h := &HAProxy{Dir: dir, Socket: filepath.Join(dir, "haproxy.sock"), done: make(chan error, 1)}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(h.Socket, listen, http, idle)), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		return nil, err
	}
	h.cmd = exec.Command(bin, "-db", "-f", cfg)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	// Pdeathsig follows the thread that started the child: keep that
	// thread locked and alive until HAProxy exits, so HAProxy never
	// outlives the emulator.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := h.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		h.done <- h.cmd.Wait()
		logf.Close()
	}()
	if err := <-started; err != nil {
		logf.Close()
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := h.Command("show info"); err == nil {
			return h, nil
		}
		select {
		case err := <-h.done:
			log, _ := os.ReadFile(filepath.Join(dir, "haproxy.log"))
			return nil, fmt.Errorf("haproxy exited: %v\n%s", err, log)
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			h.Stop()
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			h.Stop()
			return nil, fmt.Errorf("haproxy: no runtime API on %s after 10 s", h.Socket)
		}
	}
}

// Command sends one runtime API command and returns the answer.
func (h *HAProxy) Command(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.Socket, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	var out strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		out.WriteString(sc.Text())
		out.WriteByte('\n')
	}
	return strings.TrimSpace(out.String()), sc.Err()
}

// Set runs commands and fails on an answer that is not empty or a known
// acknowledgement.
func (h *HAProxy) Set(cmds ...string) error {
	for _, c := range cmds {
		out, err := h.Command(c)
		if err != nil {
			return fmt.Errorf("haproxy %q: %w", c, err)
		}
		if out != "" && !strings.Contains(out, "changed") && !strings.HasPrefix(out, "no need to change") {
			return fmt.Errorf("haproxy %q: %s", c, out)
		}
	}
	return nil
}

// Stop ends HAProxy; later calls do nothing.
func (h *HAProxy) Stop() {
	h.stop.Do(func() {
		if h.cmd == nil || h.cmd.Process == nil {
			return
		}
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(3 * time.Second):
			h.cmd.Process.Kill()
			<-h.done
		}
	})
}
