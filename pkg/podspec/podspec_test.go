package podspec

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestClassifyScript(t *testing.T) {
	cases := []struct {
		script string
		want   Script
	}{
		{"my-app", Simple},
		{"/app --port $PORT", Simple},
		{"exec /app", Exec},
		{"setup; my-app", Compound},
		{"setup && exec my-app", Exec},
		{"my-app | tee log", Compound},
		{"my-app --id $(hostname)", Compound},
		{"my-app &\nwait", Backgrounded},
		{"echo 'a; b'", Simple},
	}
	for _, c := range cases {
		if got := ClassifyScript(c.script); got != c.want {
			t.Errorf("ClassifyScript(%q) = %v, want %v", c.script, got, c.want)
		}
	}
}

func TestInsertExec(t *testing.T) {
	cases := []struct {
		script, want string
		ok           bool
	}{
		{"setup; my-app --flag", "setup; exec my-app --flag", true},
		{"setup && my-app", "setup && exec my-app", true},
		{"cp a b\n  my-app\n", "cp a b\n  exec my-app\n", true},
		{"echo 'x; y'; my-app", "echo 'x; y'; exec my-app", true},
		{"setup; my-app | tee log", "", false},
		{"setup; my-app &", "", false},
		{"if true; then app; fi", "", false},
		{"setup; FOO=1 app", "", false},
		{"setup; exec app", "", false},
		{"setup; wait", "", false},
		{"setup; echo 'unclosed", "", false},
	}
	for _, c := range cases {
		got, ok := InsertExec(c.script)
		if ok != c.ok || got != c.want {
			t.Errorf("InsertExec(%q) = %q, %v; want %q, %v", c.script, got, ok, c.want, c.ok)
		}
		if ok && ClassifyScript(got) != Exec {
			t.Errorf("InsertExec(%q) gave %q, which does not classify as Exec", c.script, got)
		}
	}
}

func TestReadPreStop(t *testing.T) {
	c := corev1.Container{Name: "a", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "sleep 15 && nginx -s quit"}}}}}
	ps := ReadPreStop(&c)
	if !ps.Present || !ps.Known || ps.Seconds != 15 || !ps.Shell {
		t.Fatalf("ReadPreStop = %+v", ps)
	}
	c.Lifecycle.PreStop = &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 20}}
	if ps := ReadPreStop(&c); ps.Handler != "sleep" || ps.Seconds != 20 {
		t.Fatalf("native sleep: %+v", ps)
	}
}

func TestScriptArg(t *testing.T) {
	c := corev1.Container{Command: []string{"sh", "-c"}, Args: []string{"setup; app"}}
	inCmd, i, ok := ScriptArg(&c)
	if !ok || inCmd || i != 0 {
		t.Fatalf("ScriptArg = %v %d %v", inCmd, i, ok)
	}
	c = corev1.Container{Command: []string{"/bin/bash", "-ec", "setup; app"}}
	inCmd, i, ok = ScriptArg(&c)
	if !ok || !inCmd || i != 2 {
		t.Fatalf("ScriptArg = %v %d %v", inCmd, i, ok)
	}
}
