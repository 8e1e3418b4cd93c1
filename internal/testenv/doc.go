// Package testenv runs a real Kubernetes control plane for tests: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok, all on
// 127.0.0.1 with free ports. kwok plays the kubelet of a few fake nodes, so
// pods are scheduled, turn Running and Ready, and Deployments roll out for
// real, driven by the real controllers. No container runs: probes, preStop
// hooks and kube-proxy do not exist here.
//
// The binaries come from the Go module proxy: tools/testenv is a separate Go
// module that builds them, and tools/testenv/build.sh builds them once into
// the user cache directory (12-25 minutes cold) and prints the directory.
// The tests find them through ZERODROP_TESTENV_BIN, or else through the last
// build in the cache. When they are missing, Require, New and Shared skip the
// test with a message saying how to build them, and fail it under CI=true.
//
// Certificates and keys are made at start (a CA, the API server's serving
// certificate, an admin client certificate in system:masters, the service
// account signing key); Env.Kubeconfig holds the admin credentials. Every
// process is started with a parent-death signal, so a test binary that dies,
// even by SIGKILL, leaves nothing running. Logs are in Env.Dir; a failed
// start returns the tail of each.
//
// # Use
//
// One control plane per test package, shared by its tests, each working in
// a namespace of its own:
//
//	func TestMain(m *testing.M) { testenv.Main(m, testenv.Options{}) }
//
//	func TestRollout(t *testing.T) {
//		env := testenv.Shared(t)
//		ns := env.Namespace(t)
//		client := env.Client()
//		...
//	}
//
// Tests that create cluster-scoped objects (webhook configurations) scope
// them to their namespace with a namespaceSelector on the label
// kubernetes.io/metadata.name and delete them in t.Cleanup. A test that
// breaks its control plane (Env.StopAPIServer) takes its own with New.
//
// # Pods
//
// kwok moves a pod bound to a fake node through these stages, as a kubelet
// would:
//
//   - Pending to Running at once, or after the duration in the pod
//     annotation AnnotationStartDelay;
//   - Ready only while every readiness gate's condition exists and is
//     "True"; otherwise Ready is "False" with reason ReadinessGatesNotReady.
//     A test plays the AWS Load Balancer Controller by setting the gate's
//     condition (target-health.elbv2.k8s.aws/NAME) through the pods/status
//     subresource; Ready follows within a fraction of a second;
//   - a deleted pod goes away at once, after AnnotationDeleteDelay, or at
//     its deletionTimestamp with AnnotationHonourGracePeriod "true".
//
// Readiness follows the gates only until the pod is deleted. Pods never
// complete on their own (a Job's pods stay Running), and all fake nodes share
// one InternalIP.
package testenv
