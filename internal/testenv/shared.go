package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Require skips the test, loudly, when the control-plane binaries are not
// built, and fails it instead when CI=true. It returns the binary directory.
func Require(t testing.TB) string {
	t.Helper()
	dir, err := FindBinDir()
	if err == nil {
		return dir
	}
	if inCI() {
		t.Fatal(missingMessage(err, "CI=true, so this is a failure: run tools/testenv/build.sh before the tests."))
	}
	msg := missingMessage(err, "Skipping this test (under CI=true it would fail).")
	warnOnce.Do(func() { fmt.Fprintln(os.Stderr, msg) })
	t.Skip(msg)
	return ""
}

var warnOnce sync.Once

func missingMessage(err error, verdict string) string {
	return strings.Join([]string{
		"",
		"!!! No control plane for tests against a real cluster: " + err.Error(),
		"!!! Build the binaries once (12-30 minutes on two cores, about 450 MB in the user cache directory):",
		"!!!     tools/testenv/build.sh",
		"!!! The tests then find the last build themselves; or point at one with",
		"!!!     export " + BinEnv + "=$(tools/testenv/build.sh | tail -n1)",
		"!!! " + verdict,
	}, "\n")
}

func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// New starts a control plane of the test's own and stops it when the test
// ends. It skips or fails the test like Require when the binaries are
// missing. Use it for tests that break their control plane (StopAPIServer)
// and use Shared for the others.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	Require(t)
	began := time.Now()
	env, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Stop)
	t.Logf("testenv: control plane started in %s; logs in %s", time.Since(began).Round(time.Millisecond), env.Dir)
	return env
}

var shared struct {
	mu   sync.Mutex
	main bool
	opts Options
	env  *Env
	err  error
}

// Main runs the package's tests with a control plane shared between them:
// the first call of Shared starts it and Main stops it after the last test,
// then exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m, testenv.Options{}) }
//
// A package whose tests are all skipped or filtered out never starts one.
func Main(m *testing.M, opts Options) {
	shared.mu.Lock()
	shared.main = true
	shared.opts = opts
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	if shared.env != nil {
		shared.env.Stop()
	}
	shared.mu.Unlock()
	os.Exit(code)
}

// Shared returns the package's shared control plane, starting it on first
// use. It skips or fails the test like Require when the binaries are missing.
// Tests sharing it should work in their own namespace (Env.Namespace) and
// clean up any cluster-scoped object they create.
func Shared(t testing.TB) *Env {
	t.Helper()
	Require(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.main {
		t.Fatal("testenv.Shared needs testenv.Main in the package's TestMain, which stops the control plane after the tests")
	}
	if shared.env == nil && shared.err == nil {
		began := time.Now()
		shared.env, shared.err = Start(context.Background(), shared.opts)
		if shared.err == nil {
			t.Logf("testenv: shared control plane started in %s; logs in %s",
				time.Since(began).Round(time.Millisecond), shared.env.Dir)
		}
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env
}

// Namespace creates a namespace for the test, named after it, and deletes it
// when the test ends.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	created, err := e.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("testenv: create namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := e.client.CoreV1().Namespaces().Delete(ctx, created.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !e.isStopped() {
			t.Errorf("testenv: delete namespace %s: %v", created.Name, err)
		}
	})
	return created.Name
}

func (e *Env) isStopped() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopped || !e.apiserver.running()
}

// namespacePrefix turns a test name into the start of a namespace name: a
// DNS label of at most 50 characters ending in "-".
func namespacePrefix(name string) string {
	var b strings.Builder
	dash := true
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 49 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	switch {
	case s == "":
		s = "test"
	case s[0] < 'a':
		s = "t-" + s
	}
	if len(s) > 49 {
		s = strings.TrimRight(s[:49], "-")
	}
	return s + "-"
}
