// Package lab holds the pieces of the real-node lab (tools/lab, docs/lab.md)
// that are Go: the load balancer emulator, which plays the AWS Load Balancer
// Controller and the ELB data plane for one exposure with a real proxy
// (HAProxy, driven through its runtime API), and the guard that keeps the
// lab's traffic on the lab's own addresses.
package lab

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
)

// Ranges are the only addresses the lab sends traffic to: the node bridges
// (10.201.1.0/24, 10.201.2.0/24, ...) and the Service CIDR (10.201.0.0/24),
// all inside 10.201.0.0/16, which tools/lab/lab.sh keeps on local bridges.
var Ranges = []netip.Prefix{netip.MustParsePrefix("10.201.0.0/16")}

// CheckAddr refuses an address outside Ranges.
func CheckAddr(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range Ranges {
		if p.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("%s is outside the lab's ranges %v: the lab sends traffic nowhere else", a, Ranges)
}

// CheckHostPort refuses "host:port" unless host is an IP literal in Ranges
// (no name: a resolver could send the traffic anywhere).
func CheckHostPort(hp string) error {
	host, _, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("%q: %w", hp, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%q: the lab only sends traffic to IP addresses, not names", hp)
	}
	return CheckAddr(a)
}

// CheckURL refuses a URL whose host is not an IP literal in Ranges.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: want an http:// URL", s)
	}
	hp := u.Host
	if u.Port() == "" {
		hp = net.JoinHostPort(u.Hostname(), "80")
	}
	if err := CheckHostPort(hp); err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	return nil
}
