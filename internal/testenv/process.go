package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// launcher forks every child of an Env from one goroutine that holds its OS
// thread for the Env's whole life. Linux sends the parent-death signal when
// the thread that forked a child ends, not the process, and the Go runtime
// may end idle threads at any time; forking from a thread that is pinned
// and never released means the signal comes exactly when the test binary
// dies, however it dies. When the launcher itself is closed its thread ends
// too, which kills any child still alive.
type launcher struct {
	reqs chan launchReq
	once sync.Once
}

type launchReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func newLauncher() *launcher {
	l := &launcher{reqs: make(chan launchReq)}
	go func() {
		// Never unlocked: the runtime ends a locked thread whose goroutine
		// returns, instead of handing it to other goroutines.
		runtime.LockOSThread()
		for r := range l.reqs {
			r.errc <- r.cmd.Start()
		}
	}()
	return l
}

func (l *launcher) start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	errc := make(chan error, 1)
	l.reqs <- launchReq{cmd: cmd, errc: errc}
	return <-errc
}

func (l *launcher) close() {
	l.once.Do(func() { close(l.reqs) })
}

// process is one running control-plane binary with its output in a log file.
type process struct {
	name    string
	path    string
	args    []string
	logPath string

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed once the process has exited
	err  error         // the exit status, valid after done
}

func (p *process) start(l *launcher) error {
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Env = childEnv()
	if err := l.start(cmd); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.log, p.done, p.err = cmd, f, make(chan struct{}), nil
	go func(done chan struct{}) {
		p.err = cmd.Wait()
		f.Close()
		close(done)
	}(p.done)
	return nil
}

// running reports whether the process was started and has not exited.
func (p *process) running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// exited returns an error describing the exit if the process has exited.
func (p *process) exited() error {
	if p.done == nil {
		return fmt.Errorf("%s was never started", p.name)
	}
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	default:
		return nil
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *process) kill() {
	if p.done == nil {
		return
	}
	if p.running() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

// pid returns the process id of the last start, or 0.
func (p *process) pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// tail returns the last n lines of the process log.
func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	data = bytes.TrimRight(data, "\n")
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// childEnv is the environment of the control-plane processes: the test's own,
// without settings that would point a child at another cluster.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KUBECONFIG=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// logTails formats the last lines of every process log, for an error.
func logTails(procs []*process, n int) string {
	var b strings.Builder
	for _, p := range procs {
		if p.done == nil {
			continue
		}
		fmt.Fprintf(&b, "\n--- %s (%s), last %d lines ---\n%s\n", p.name, p.logPath, n, p.tail(n))
	}
	return b.String()
}

var errStopped = errors.New("testenv: the environment is stopped")
