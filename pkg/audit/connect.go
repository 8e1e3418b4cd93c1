package audit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

// Cluster says which cluster an audit reads and with what credentials, so
// that a failure to reach it can say which and what to do.
type Cluster struct {
	// Name is the kubeconfig context (or the server, without one).
	Name string
	// Server is the API server's address.
	Server string
	// Credential is what the client authenticates with: "client
	// certificate", "token", "exec plugin", "username/password" or "none".
	Credential string
	// CertExpiry is when the client certificate expires (zero without one).
	CertExpiry time.Time
	// CertSubject names the client certificate's subject.
	CertSubject string
}

// DescribeCluster reads a client configuration: server, credential kind and
// the client certificate's expiry. A certificate that cannot be read is
// left to the TLS handshake to report.
func DescribeCluster(name string, cfg *rest.Config) Cluster {
	c := Cluster{Name: name, Server: cfg.Host, Credential: "none"}
	if c.Name == "" {
		c.Name = cfg.Host
	}
	switch {
	case len(cfg.CertData) > 0 || cfg.CertFile != "":
		c.Credential = "client certificate"
		data := cfg.CertData
		if len(data) == 0 {
			data, _ = os.ReadFile(cfg.CertFile)
		}
		if block, _ := pem.Decode(data); block != nil {
			if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
				c.CertExpiry, c.CertSubject = cert.NotAfter, cert.Subject.String()
			}
		}
	case cfg.BearerToken != "" || cfg.BearerTokenFile != "":
		c.Credential = "token"
	case cfg.ExecProvider != nil || cfg.AuthProvider != nil:
		c.Credential = "exec plugin"
	case cfg.Username != "":
		c.Credential = "username/password"
	}
	return c
}

// ConnectionError ends an audit: the cluster cannot be reached or refuses
// the credentials, so every further call would fail the same way. It says
// which cluster, why, and what to do.
type ConnectionError struct {
	Cluster Cluster
	Cause   string
	Fix     string
	Err     error
}

func (e *ConnectionError) Error() string {
	s := fmt.Sprintf("cluster %s", e.Cluster.Name)
	if e.Cluster.Server != "" && e.Cluster.Server != e.Cluster.Name {
		s += " (" + e.Cluster.Server + ")"
	}
	s += ": " + e.Cause
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// CheckCredentials fails when the client certificate has expired: the
// server would only answer "Unauthorized".
func (c Cluster) CheckCredentials(now time.Time) error {
	if !c.CertExpiry.IsZero() && now.After(c.CertExpiry) {
		return &ConnectionError{Cluster: c,
			Cause: fmt.Sprintf("the client certificate (%s) expired at %s", c.CertSubject, c.CertExpiry.UTC().Format(time.RFC3339)),
			Fix:   "get a new one (renew the credentials in your kubeconfig, e.g. with your cloud's `update-kubeconfig` command)"}
	}
	return nil
}

// connectionError returns the ConnectionError an API call's error means,
// or nil when the call failed on its own (forbidden, not found, ...) and
// others may still succeed.
func connectionError(c Cluster, err error, timeout time.Duration) *ConnectionError {
	if err == nil {
		return nil
	}
	var ce *ConnectionError
	if errors.As(err, &ce) {
		return ce
	}
	e := &ConnectionError{Cluster: c, Err: err}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case apierrors.IsUnauthorized(err):
		e.Cause = "the API server rejected the credentials (401 Unauthorized, " + c.Credential + ")"
		switch c.Credential {
		case "client certificate":
			e.Fix = "the certificate is not signed by a CA the server trusts, or was revoked: get new credentials for this cluster"
			if !c.CertExpiry.IsZero() {
				e.Cause += fmt.Sprintf("; the certificate expires at %s", c.CertExpiry.UTC().Format(time.RFC3339))
			}
		case "token":
			e.Fix = "the token is wrong, expired or for another cluster: get a new one (log in again)"
		case "exec plugin":
			e.Fix = "the credential plugin's token is not accepted: log in again with the plugin's tool"
		case "none":
			e.Fix = "the kubeconfig has no credentials for this cluster: add a user to the context"
		default:
			e.Fix = "get valid credentials for this cluster"
		}
		return e
	case errors.As(err, &unknownCA) || strings.Contains(err.Error(), "certificate signed by unknown authority"):
		e.Cause = "the server's certificate is not signed by the CA the kubeconfig trusts"
		e.Fix = "set the cluster's certificate-authority(-data) to the CA of this server, or check that the server address is the right cluster"
		return e
	case errors.As(err, &hostErr):
		e.Cause = "the server's certificate is not valid for this address (" + hostErr.Error() + ")"
		e.Fix = "use an address the certificate names, or set tls-server-name in the kubeconfig"
		return e
	case errors.As(err, &certErr) || strings.Contains(err.Error(), "x509: "):
		e.Cause = "the server's certificate is not valid: " + err.Error()
		e.Fix = "check the server's certificate and the kubeconfig's certificate-authority"
		return e
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		e.Cause = "the server does not speak TLS at this address"
		e.Fix = "check the server address (https://host:port of the API server)"
		return e
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Cause = fmt.Sprintf("no answer from the API server within %s", timeout)
		e.Fix = "check that the server address is right and reachable (VPN, firewall, private endpoint); --timeout and --call-timeout set the waits"
		return e
	case errors.As(err, &dnsErr):
		e.Cause = "the server's name does not resolve: " + dnsErr.Error()
		e.Fix = "check the server address in the kubeconfig"
		return e
	case errors.As(err, &opErr) || strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "no route to host"):
		e.Cause = "cannot connect to the API server: " + err.Error()
		e.Fix = "check that the server address is right and reachable, and that the cluster is running"
		return e
	}
	// Anything else is an answer from the server (forbidden, not found, a
	// server error): this call failed, others may not.
	return nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
