package load

import (
	"fmt"
	"strings"
	"testing"
)

// benchStream writes n objects, Deployments and Services in turn, shaped
// like the output of a chart: labels, annotations, probes, resources.
func benchStream(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString("---\n")
		}
		app := fmt.Sprintf("app-%d", i/2)
		if i%2 == 0 {
			fmt.Fprintf(&b, `# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: team-%[2]d
  labels:
    app.kubernetes.io/name: %[1]s
    app.kubernetes.io/instance: shop
    app.kubernetes.io/version: "1.%[2]d.0"
  annotations:
    deployment.kubernetes.io/revision: "3"
spec:
  replicas: %[3]d
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: %[1]s
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: %[1]s
      annotations:
        prometheus.io/scrape: "true"
    spec:
      terminationGracePeriodSeconds: 45
      containers:
        - name: app
          image: registry.example.com/shop/%[1]s:1.%[2]d.0
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: MODE
              value: production
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {memory: 512Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 10
          lifecycle:
            preStop:
              exec:
                command: ["sh", "-c", "sleep 15"]
`, app, i%50, 2+i%5)
		} else {
			fmt.Fprintf(&b, `# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: team-%[2]d
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
spec:
  type: LoadBalancer
  selector:
    app.kubernetes.io/name: %[1]s
  ports:
    - name: http
      port: 80
      targetPort: http
`, app, i%50)
		}
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		data := benchStream(n)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res := Bytes("bench.yaml", data, Options{})
				if len(res.Errors) != 0 || len(res.Objects) != n {
					b.Fatalf("%d objects, errors %v", len(res.Objects), res.Errors)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

func TestBenchStreamIsValid(t *testing.T) {
	data := benchStream(10)
	res := Bytes("bench.yaml", data, Options{})
	if len(res.Errors) != 0 || len(res.Objects) != 10 {
		t.Fatalf("%d objects, errors %v", len(res.Objects), res.Errors)
	}
	lines := strings.Split(string(data), "\n")
	for i, o := range res.Objects {
		if want := []string{"Deployment", "Service"}[i%2]; o.Kind != want || o.Name != fmt.Sprintf("app-%d", i/2) {
			t.Errorf("object %d is %s/%s", i, o.Kind, o.Name)
		}
		if l := lines[o.Pos.Line-1]; !strings.HasPrefix(l, "apiVersion:") {
			t.Errorf("%s/%s at line %d, which reads %q", o.Kind, o.Name, o.Pos.Line, l)
		}
	}
}
