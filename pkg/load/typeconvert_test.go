package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// convertTargets are the types decode fills.
func convertTargets() []any {
	return []any{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}, &appsv1.ReplicaSet{},
		&corev1.Pod{}, &corev1.Service{}, &networkingv1.Ingress{}, &networkingv1.IngressClass{},
		&policyv1.PodDisruptionBudget{}, &Rollout{}, &HPA{}, &LegacyIngress{}}
}

// sameConversion fails unless the fast converter, whenever it takes m,
// fills every target type exactly as FromUnstructured does, and never
// takes what FromUnstructured refuses.
func sameConversion(t *testing.T, what string, m map[string]any) (taken int) {
	t.Helper()
	for _, target := range convertTargets() {
		typ := reflect.TypeOf(target).Elem()
		fast := reflect.New(typ).Interface()
		err := convertFast(m, fast)
		if err != nil {
			if !errors.Is(err, errSlow) {
				t.Fatalf("%s as %s: %v", what, typ, err)
			}
			continue
		}
		taken++
		slow := reflect.New(typ).Interface()
		if serr := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(m, slow); serr != nil {
			t.Fatalf("%s as %s: the fast converter took what FromUnstructured refuses: %v", what, typ, serr)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s as %s:\nfast %#v\nslow %#v", what, typ, fast, slow)
		}
	}
	return taken
}

func TestFastConverterAgrees(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/realistic/*.yaml", "../check/testdata/*/*.yaml", "../../examples/*/*.yaml",
		"../../../shared/corpus/*.y*ml"} {
		f, _ := filepath.Glob(g)
		files = append(files, f...)
	}
	taken := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range Bytes(f, data, Options{}).Objects {
			taken += sameConversion(t, o.Pos.String(), o.Raw)
			taken += sameConversion(t, o.Pos.String()+" pruned", pruned(o))
		}
	}
	for i, src := range convertSeeds {
		for _, o := range Bytes("seed.yaml", []byte(src), Options{}).Objects {
			taken += sameConversion(t, fmt.Sprint("seed ", i), o.Raw)
		}
	}
	// Each object is tried as every target type, most of which do not
	// fit; the ones that do are taken.
	if taken < len(files) {
		t.Fatalf("the fast converter took %d conversions of %d files", taken, len(files))
	}
	t.Logf("%d conversions taken and compared", taken)
}

// convertSeeds hold values the fast converter must leave alone or read
// exactly: numbers where strings go, floats where integers go, int-or-string
// values, quantities, times, nulls.
var convertSeeds = []string{
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {a: b, c: null}, creationTimestamp: null}\nspec:\n  replicas: 3.0\n  strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}\n  template:\n    spec:\n      containers: [{name: a, resources: {limits: {cpu: 100m, memory: 1Gi}}, ports: [{containerPort: 80}]}]\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, creationTimestamp: '2024-01-02T03:04:05Z'}\nspec:\n  replicas: 1.5\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: '3'\n  paused: yes\n  strategy: {rollingUpdate: {maxSurge: 1.5}}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, targetPort: http}, {port: 81, targetPort: 8081, nodePort: null}], selector: {app: web}}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: {port: 80}}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: [a], sessionAffinityConfig: {clientIP: {timeoutSeconds: 10}}}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, lifecycle: {preStop: {sleep: {seconds: 5}}}, readinessProbe: {httpGet: {port: 8080, path: /}}}], terminationGracePeriodSeconds: 30}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, securityContext: {runAsUser: 1000, capabilities: {add: [NET_ADMIN]}}}], overhead: {cpu: 1}}\n",
	"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {minAvailable: 50%, selector: {matchLabels: {a: b}, matchExpressions: [{key: k, operator: In, values: [x]}]}}\n",
	"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {maxUnavailable: true}\n",
	"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]}\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: aGVsbG8=}\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [{name: a, ports: [{containerPort: 4294967297}]}]}}}\n",
}

func FuzzFastConverter(f *testing.F) {
	for _, s := range convertSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		for _, o := range Bytes("fuzz.yaml", data, Options{}).Objects {
			sameConversion(t, "fuzz", o.Raw)
		}
	})
}
