package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Class names what happened to a request. Failures that came back as an HTTP
// response are named by their status: "http_502", "http_503", ...
type Class string

// The classes of a request's outcome.
const (
	ClassOK          Class = "ok"          // a response with a status below 500
	ClassRefused     Class = "refused"     // connection refused: nothing listens on the port
	ClassReset       Class = "reset"       // the peer reset or closed the connection before the response was complete
	ClassTimeout     Class = "timeout"     // no complete response within the timeout
	ClassTLS         Class = "tls"         // TLS handshake or certificate failure
	ClassDNS         Class = "dns"         // the host name did not resolve
	ClassUnreachable Class = "unreachable" // no route to the host or network
	ClassOther       Class = "other"       // anything else
)

// StatusClass returns ClassOK for statuses below 500 and "http_NNN" for the
// others.
func StatusClass(status int) Class {
	if status < 500 {
		return ClassOK
	}
	return Class("http_" + strconv.Itoa(status))
}

// IsHTTP reports whether c names an HTTP 5xx status, and which.
func (c Class) IsHTTP() (int, bool) {
	s, ok := strings.CutPrefix(string(c), "http_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Classify names the failure behind a client error.
func Classify(err error) Class {
	if err == nil {
		return ClassOK
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ClassDNS
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF):
		return ClassReset
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ClassUnreachable
	}
	if isTLS(err) {
		return ClassTLS
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return ClassTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ClassTimeout
	}
	// net/http reports a keep-alive connection the server closed while the
	// request was on its way in words only.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server closed idle connection"),
		strings.Contains(msg, "connection reset"),
		strings.Contains(msg, "broken pipe"),
		strings.Contains(msg, "use of closed network connection"):
		return ClassReset
	case strings.Contains(msg, "connection refused"):
		return ClassRefused
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return ClassTLS
	}
	return ClassOther
}

func isTLS(err error) bool {
	var (
		rec   tls.RecordHeaderError
		alert tls.AlertError
		cv    *tls.CertificateVerificationError
		ua    x509.UnknownAuthorityError
		hn    x509.HostnameError
		ci    x509.CertificateInvalidError
	)
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &cv) ||
		errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}
