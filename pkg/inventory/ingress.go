package inventory

import (
	"github.com/zerodrop/zerodrop/pkg/load"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// v1beta1Ingress is the shape of extensions/v1beta1 and networking.k8s.io/v1beta1
// Ingresses, whose backends name the Service and port directly.
type v1beta1Ingress struct {
	Spec struct {
		IngressClassName *string         `json:"ingressClassName"`
		Backend          *v1beta1Backend `json:"backend"`
		Rules            []struct {
			Host string `json:"host"`
			HTTP *struct {
				Paths []struct {
					Path     string         `json:"path"`
					PathType *string        `json:"pathType"`
					Backend  v1beta1Backend `json:"backend"`
				} `json:"paths"`
			} `json:"http"`
		} `json:"rules"`
	} `json:"spec"`
}

type v1beta1Backend struct {
	ServiceName string             `json:"serviceName"`
	ServicePort intstr.IntOrString `json:"servicePort"`
}

func (b *v1beta1Backend) convert() *networkingv1.IngressBackend {
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

func (t *typed) addIngress(o *load.Object) error {
	ing := &Ingress{Meta: meta(o)}
	if o.APIVersion == "networking.k8s.io/v1" {
		var v networkingv1.Ingress
		if err := decode(o, &v); err != nil {
			return err
		}
		ing.Spec = v.Spec
		t.ingress = ing
		return nil
	}
	var old v1beta1Ingress
	if err := decode(o, &old); err != nil {
		return err
	}
	t.oldVersion(o, "networking.k8s.io/v1")
	ing.Spec.IngressClassName = old.Spec.IngressClassName
	ing.Spec.DefaultBackend = old.Spec.Backend.convert()
	for _, r := range old.Spec.Rules {
		rule := networkingv1.IngressRule{Host: r.Host}
		if r.HTTP != nil {
			rule.HTTP = &networkingv1.HTTPIngressRuleValue{}
			for _, p := range r.HTTP.Paths {
				b := p.Backend.convert()
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
	return nil
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
