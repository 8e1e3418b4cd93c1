package inventory

import (
	"github.com/zerodrop/zerodrop/pkg/load"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// legacyBackend converts a v1beta1 backend, which names the Service and
// port directly.
func legacyBackend(b *load.LegacyBackend) *networkingv1.IngressBackend {
	if b == nil || b.ServiceName == "" {
		return nil
	}
	port := networkingv1.ServiceBackendPort{}
	if b.ServicePort.Type == intstr.String {
		port.Name = b.ServicePort.StrVal
	} else {
		port.Number = b.ServicePort.IntVal
	}
	return &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: b.ServiceName, Port: port}}
}

// addLegacyIngress reads an extensions/v1beta1 or networking.k8s.io/v1beta1
// Ingress as networking.k8s.io/v1.
func (t *typed) addLegacyIngress(o *load.Object, m Meta, old *load.LegacyIngress) {
	ing := &Ingress{Meta: m}
	t.oldVersion(o, "networking.k8s.io/v1")
	ing.Spec.IngressClassName = old.Spec.IngressClassName
	ing.Spec.DefaultBackend = legacyBackend(old.Spec.Backend)
	for _, r := range old.Spec.Rules {
		rule := networkingv1.IngressRule{Host: r.Host}
		if r.HTTP != nil {
			rule.HTTP = &networkingv1.HTTPIngressRuleValue{}
			for _, p := range r.HTTP.Paths {
				b := legacyBackend(&p.Backend)
				if b == nil {
					continue
				}
				path := networkingv1.HTTPIngressPath{Path: p.Path, Backend: *b}
				if p.PathType != nil {
					pt := networkingv1.PathType(*p.PathType)
					path.PathType = &pt
				}
				rule.HTTP.Paths = append(rule.HTTP.Paths, path)
			}
		}
		ing.Spec.Rules = append(ing.Spec.Rules, rule)
	}
	t.ingress = ing
}

// Backends returns every Service backend of the Ingress, default backend first.
func (i *Ingress) Backends() []*networkingv1.IngressServiceBackend {
	var out []*networkingv1.IngressServiceBackend
	if b := i.Spec.DefaultBackend; b != nil && b.Service != nil {
		out = append(out, b.Service)
	}
	for _, r := range i.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for k := range r.HTTP.Paths {
			if s := r.HTTP.Paths[k].Backend.Service; s != nil {
				out = append(out, s)
			}
		}
	}
	return out
}
