// Package verify keeps the raw results of a `zerodrop verify` run — one
// record per request and one per rollout event, streamed as JSON lines — and
// builds its report (text, JSON, HTML) from them. The report of a run and the
// report re-made later from its JSONL file are the same, byte for byte.
package verify

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/zerodrop/zerodrop/pkg/loadgen"
	"github.com/zerodrop/zerodrop/pkg/schema"
)

// SchemaVersion is the version of the JSONL records and of the JSON report.
// It changes when a field changes meaning or goes away, not when one is added.
const SchemaVersion schema.Version = "1"

// Meta is the first line of a results file: what was asked for.
type Meta struct {
	SchemaVersion schema.Version `json:"schemaVersion"`
	Start         time.Time      `json:"start"` // the base of every atNs
	URL           string         `json:"url"`
	Method        string         `json:"method"`
	Rate          float64        `json:"rate"`
	DurationS     float64        `json:"durationS,omitempty"` // 0 with a rollout: until it has settled
	Concurrency   int            `json:"concurrency"`
	TimeoutS      float64        `json:"timeoutS"`
	KeepAlive     bool           `json:"keepAlive"`
	Rollout       string         `json:"rollout,omitempty"` // deployment/NAME
	Namespace     string         `json:"namespace,omitempty"`
	MaxErrors     int            `json:"maxErrors"`
}

// Event is one thing that happened to the workload during the run: the
// restart, a change of the Deployment's status, a pod or an endpoint
// changing state. At is when zerodrop saw it, on the same clock as the
// requests.
type Event struct {
	At     time.Time `json:"t"`
	Kind   string    `json:"kind"`   // rollout, deployment, pod, endpoint
	Object string    `json:"object"` // deployment/web, pod/web-5d8f7-abcde
	Reason string    `json:"reason"` // restart, progress, complete, created, ready, terminating, deleted, ...
	Detail string    `json:"detail,omitempty"`
}

// End is the last line: how the run stopped.
type End struct {
	At          time.Time `json:"t"`
	Interrupted bool      `json:"interrupted"`
	Reason      string    `json:"reason,omitempty"` // "interrupted", "rollout failed: ..."
}

// Request is one request as kept in memory: 48 bytes, times in nanoseconds
// after Meta.Start.
type Request struct {
	Seq     uint64
	At      int64 // when it was due
	Delay   int64 // how late it was sent
	Latency int64 // from due to the end of the response or the error
	Status  int32
	Class   loadgen.Class
}

// Failed reports whether the request counts as an error.
func (r *Request) Failed() bool { return r.Class != loadgen.ClassOK }

// Run is everything a report is made from.
type Run struct {
	Meta     Meta
	Requests []Request
	Events   []Event
	End      *End
	// Samples holds the first error message seen for each class.
	Samples map[loadgen.Class]string
}

// Add records one result.
func (r *Run) Add(res loadgen.Result, errMsg string) {
	r.Requests = append(r.Requests, Request{
		Seq:     res.Seq,
		At:      int64(res.Due.Sub(r.Meta.Start)),
		Delay:   int64(res.Delay),
		Latency: int64(res.Latency),
		Status:  int32(res.Status),
		Class:   res.Class,
	})
	if res.Class != loadgen.ClassOK {
		if r.Samples == nil {
			r.Samples = map[loadgen.Class]string{}
		}
		if _, ok := r.Samples[res.Class]; !ok {
			if errMsg == "" {
				errMsg = "HTTP " + strconv.Itoa(res.Status)
			}
			r.Samples[res.Class] = errMsg
		}
	}
}

// Recorder keeps a Run in memory and, when given a writer, streams every
// record to it as a JSON line. It is safe for concurrent use.
type Recorder struct {
	mu  sync.Mutex
	run Run
	w   *bufio.Writer
	buf []byte
	err error

	total, failed int
}

// NewRecorder starts a run described by meta; w may be nil. The meta line
// is written at once.
func NewRecorder(meta Meta, w io.Writer) *Recorder {
	meta.SchemaVersion = SchemaVersion
	meta.Start = meta.Start.Round(0).UTC()
	r := &Recorder{run: Run{Meta: meta}}
	if w != nil {
		r.w = bufio.NewWriterSize(w, 256<<10)
		r.writeJSON(struct {
			Type string `json:"type"`
			Meta
		}{"meta", meta})
	}
	return r
}

// Result records one request.
func (r *Recorder) Result(res loadgen.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.run.Add(res, res.Err)
	r.total++
	if res.Failed() {
		r.failed++
	}
	if r.w == nil || r.err != nil {
		return
	}
	q := &r.run.Requests[len(r.run.Requests)-1]
	b := r.buf[:0]
	b = append(b, `{"type":"request","seq":`...)
	b = strconv.AppendUint(b, q.Seq, 10)
	b = append(b, `,"atNs":`...)
	b = strconv.AppendInt(b, q.At, 10)
	b = append(b, `,"delayNs":`...)
	b = strconv.AppendInt(b, q.Delay, 10)
	b = append(b, `,"latencyNs":`...)
	b = strconv.AppendInt(b, q.Latency, 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	b = append(b, `,"class":`...)
	b = strconv.AppendQuote(b, string(q.Class))
	if res.Err != "" {
		msg, _ := json.Marshal(res.Err)
		b = append(b, `,"error":`...)
		b = append(b, msg...)
	}
	b = append(b, "}\n"...)
	r.buf = b
	_, r.err = r.w.Write(b)
}

// Event records a rollout event.
func (r *Recorder) Event(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.At = e.At.Round(0).UTC()
	r.run.Events = append(r.run.Events, e)
	if r.w != nil {
		r.writeJSON(eventLine{"event", e})
	}
}

type eventLine struct {
	Type string `json:"type"`
	Event
}

// Finish records how the run ended, flushes the writer and returns the run.
func (r *Recorder) Finish(end End) (*Run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	end.At = end.At.Round(0).UTC()
	r.run.End = &end
	if r.w != nil {
		r.writeJSON(struct {
			Type string `json:"type"`
			End
		}{"end", end})
		if r.err == nil {
			r.err = r.w.Flush()
		}
	}
	return &r.run, r.err
}

// Counts returns the requests recorded so far, and how many failed.
func (r *Recorder) Counts() (total, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total, r.failed
}

func (r *Recorder) writeJSON(v any) {
	if r.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		r.err = err
		return
	}
	b = append(b, '\n')
	_, r.err = r.w.Write(b)
}

// line is the union of every JSONL record, for reading.
type line struct {
	Type string `json:"type"`
	Meta
	// request
	Seq       uint64 `json:"seq"`
	AtNs      int64  `json:"atNs"`
	DelayNs   int64  `json:"delayNs"`
	LatencyNs int64  `json:"latencyNs"`
	Status    int32  `json:"status"`
	Class     string `json:"class"`
	Error     string `json:"error"`
	// event and end
	T           time.Time `json:"t"`
	Kind        string    `json:"kind"`
	Object      string    `json:"object"`
	Reason      string    `json:"reason"`
	Detail      string    `json:"detail"`
	Interrupted bool      `json:"interrupted"`
}

// Read parses a results file. A file cut short (a run killed before it
// could finish) is read up to its last complete line; its End is nil.
func Read(r io.Reader) (*Run, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	run := &Run{}
	classes := map[string]loadgen.Class{}
	n := 0
	var torn error // a line that did not parse; fatal unless it is the last
	for sc.Scan() {
		n++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		if torn != nil {
			return nil, torn
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			torn = fmt.Errorf("line %d: %v", n, err)
			if n == 1 {
				return nil, torn
			}
			continue
		}
		switch l.Type {
		case "meta":
			if n != 1 {
				return nil, fmt.Errorf("line %d: meta record not on the first line", n)
			}
			if l.Meta.SchemaVersion != SchemaVersion {
				return nil, fmt.Errorf("schema version %s, this zerodrop reads %s", l.Meta.SchemaVersion, SchemaVersion)
			}
			run.Meta = l.Meta
		case "request":
			class, ok := classes[l.Class]
			if !ok {
				class = loadgen.Class(l.Class)
				classes[l.Class] = class
			}
			run.Requests = append(run.Requests, Request{Seq: l.Seq, At: l.AtNs, Delay: l.DelayNs,
				Latency: l.LatencyNs, Status: l.Status, Class: class})
			if class != loadgen.ClassOK {
				if run.Samples == nil {
					run.Samples = map[loadgen.Class]string{}
				}
				if _, ok := run.Samples[class]; !ok {
					msg := l.Error
					if msg == "" {
						msg = "HTTP " + strconv.Itoa(int(l.Status))
					}
					run.Samples[class] = msg
				}
			}
		case "event":
			run.Events = append(run.Events, Event{At: l.T, Kind: l.Kind, Object: l.Object, Reason: l.Reason, Detail: l.Detail})
		case "end":
			run.End = &End{At: l.T, Interrupted: l.Interrupted, Reason: l.Reason}
		default:
			return nil, fmt.Errorf("line %d: unknown record type %q", n, l.Type)
		}
		if n == 1 && l.Type != "meta" {
			return nil, errors.New("line 1: not a zerodrop verify results file (no meta record)")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("empty results file")
	}
	return run, nil
}
