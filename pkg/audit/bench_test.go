package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/audit"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// BenchmarkAudit2000 audits a real control plane holding 2,000 Deployments
// (replicas 1) with their Services, created through the API server. The
// objects are created once; each iteration is one whole audit.
func BenchmarkAudit2000(b *testing.B) {
	env := testenv.Shared(b)
	ns := env.Namespace(b)
	populate(b, env.Client(), ns, 2000)
	cl := clients(b, env.RESTConfig())
	b.ResetTimer()
	for b.Loop() {
		res, err := audit.Run(context.Background(), cl, audit.Options{Namespace: ns})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) > 0 || res.Summary.Workloads < 2000 {
			b.Fatalf("audit read %d workloads, errors %+v", res.Summary.Workloads, res.Errors)
		}
	}
	b.ReportMetric(2000, "deployments")
}

// populate creates n Deployments and Services, 16 requests at a time.
func populate(b *testing.B, c kubernetes.Interface, ns string, n int) {
	b.Helper()
	ctx := context.Background()
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("app-%04d", i)
				labels := map[string]string{"app": name}
				one := int32(1)
				d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
					Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
							Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1",
								Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}}}}
				_, err := c.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
				if err == nil {
					s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
						// Headless: the test control plane has a /24 service range.
						Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
					_, err = c.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{})
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
}
