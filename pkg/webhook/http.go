package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// maxRequestSize bounds an AdmissionReview's body, as controller-runtime
// does.
const maxRequestSize = 7 << 20

// HTTPHandler serves an admission handler to the API server: the
// AdmissionReview (admission.k8s.io/v1 or v1beta1, JSON) decoded, the
// handler run through controller-runtime's admission.Webhook (panics,
// the response's UID, status and JSON patch), the answer encoded in the
// review's own version.
//
// It stands in for admission.Webhook's own ServeHTTP, which reads the body
// into a buffer grown by doubling, decodes it through the runtime codecs
// and builds a logger for every review: a few kilobytes of garbage per
// review, which at hundreds of reviews a second set how often the process
// collects. Here the body is read into a pooled buffer of its announced
// length and decoded straight into the review.
func HTTPHandler(h admission.Handler) http.Handler {
	// controller-runtime's own logger (Run sets it), without the
	// per-review values its default adds to it for every review.
	base := ctrllog.Log.WithName("admission")
	return &httpHandler{wh: &admission.Webhook{Handler: h,
		LogConstructor: func(logr.Logger, *admission.Request) logr.Logger { return base }}}
}

type httpHandler struct{ wh *admission.Webhook }

// admissionReview is an AdmissionReview of either version: they have the same
// fields.
type admissionReview struct {
	metav1.TypeMeta `json:",inline"`
	Request         *admissionv1.AdmissionRequest  `json:"request,omitempty"`
	Response        *admissionv1.AdmissionResponse `json:"response,omitempty"`
}

// bodies are the buffers reviews are read into; maxPooledBody bounds the
// ones kept.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBody = 64 << 10

func (s *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(gv string, resp admission.Response) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(admissionReview{TypeMeta: metav1.TypeMeta{APIVersion: gv, Kind: "AdmissionReview"}, Response: &resp.AdmissionResponse})
	}
	v1 := admissionv1.SchemeGroupVersion.String()
	if r.Body == nil || r.Body == http.NoBody {
		reply(v1, admission.Errored(http.StatusBadRequest, errors.New("request body is empty")))
		return
	}
	defer r.Body.Close()
	buf := bodies.Get().(*[]byte)
	body, err := readBody(r, (*buf)[:0])
	if cap(body) <= maxPooledBody {
		// A rare large review's buffer is not kept.
		*buf = body
		defer bodies.Put(buf)
	}
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		reply(v1, admission.Errored(int32(code), err))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		reply(v1, admission.Errored(http.StatusBadRequest, fmt.Errorf("contentType=%s, expected application/json", ct)))
		return
	}
	req := admission.Request{}
	ar := admissionReview{Request: &req.AdmissionRequest}
	// The fields are copied out of the body (RawExtension copies its
	// bytes), so the buffer goes back to the pool.
	if err := utiljson.Unmarshal(body, &ar); err != nil {
		reply(v1, admission.Errored(http.StatusBadRequest, err))
		return
	}
	gv := ar.APIVersion
	switch {
	case gv == "" && ar.Kind == "":
		gv = v1
	case ar.Kind != "AdmissionReview" || (gv != v1 && gv != admissionv1beta1.SchemeGroupVersion.String()):
		reply(v1, admission.Errored(http.StatusBadRequest, fmt.Errorf("%s %s: not an AdmissionReview this webhook reads", gv, ar.Kind)))
		return
	}
	reply(gv, s.wh.Handle(r.Context(), req))
}

var errTooLarge = fmt.Errorf("request entity is too large; limit is %d bytes", maxRequestSize)

// readBody reads a request's body into buf: at once when its length is
// announced, else as it comes; never more than maxRequestSize.
func readBody(r *http.Request, buf []byte) ([]byte, error) {
	if n := r.ContentLength; n > 0 {
		if n > maxRequestSize {
			return buf, errTooLarge
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	lr := &io.LimitedReader{R: r.Body, N: maxRequestSize + 1}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxRequestSize {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
