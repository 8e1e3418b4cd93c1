package verify

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/zerodrop/zerodrop/internal/chartscale"
)

// Bucket is one step of the timeline: what happened to the requests due in
// [FromS, FromS+width).
type Bucket struct {
	FromS  float64
	OK     int
	Failed int
	P50Ms  float64 // of the successful requests
	P99Ms  float64
}

// Timeline cuts a run into at most maxBuckets steps of a round width (0.1 s
// up to 10 min) and returns the width in seconds and the steps.
func Timeline(run *Run, maxBuckets int) (float64, []Bucket) {
	if len(run.Requests) == 0 {
		return 1, nil
	}
	base, last := run.Requests[0].At, run.Requests[0].At
	for _, q := range run.Requests {
		base, last = min(base, q.At), max(last, q.At)
	}
	span := float64(last-base) / 1e9
	width := 600.0
	for _, w := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600} {
		if span/w < float64(maxBuckets) {
			width = w
			break
		}
	}
	n := int(span/width) + 1
	buckets := make([]Bucket, n)
	lats := make([][]int64, n)
	for i := range buckets {
		buckets[i].FromS = round(float64(i)*width, 3)
	}
	widthNs := int64(math.Round(width * 1e9))
	for _, q := range run.Requests {
		i := min(int((q.At-base)/widthNs), n-1)
		if q.Failed() {
			buckets[i].Failed++
		} else {
			buckets[i].OK++
			lats[i] = append(lats[i], q.Latency)
		}
	}
	for i := range buckets {
		slices.Sort(lats[i])
		buckets[i].P50Ms = ms(percentile(lats[i], 50))
		buckets[i].P99Ms = ms(percentile(lats[i], 99))
	}
	return width, buckets
}

// WriteHTML writes a self-contained page (no scripts, no external files)
// with the report and a timeline chart drawn as inline SVG: requests per
// second, ok and failed; latency p50 and p99; error windows shaded; rollout
// events as vertical lines.
func WriteHTML(w io.Writer, rep *Report, run *Run) error {
	width, buckets := Timeline(run, 300)
	data := struct {
		R     *Report
		Chart template.HTML
		Width float64
	}{rep, template.HTML(chart(rep, width, buckets)), width}
	return page.Execute(w, data)
}

const (
	chartW   = 1000.0
	padL     = 60.0
	padR     = 20.0
	rateTop  = 40.0 // room for event labels
	rateH    = 200.0
	latTop   = rateTop + rateH + 40
	latH     = 140.0
	axisBase = latTop + latH
	chartH   = axisBase + 40
)

func chart(rep *Report, width float64, buckets []Bucket) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	esc := template.HTMLEscapeString
	plotW := chartW - padL - padR
	span := float64(len(buckets)) * width
	for _, e := range rep.Events {
		span = max(span, e.AtS+width)
	}
	if span <= 0 {
		span = 1
	}
	x := func(s float64) float64 { return padL + plotW*max(0, s)/span }

	p(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="timeline">`, chartW, chartH)
	p(`<style>text{font:11px sans-serif;fill:#333}.ax{stroke:#999;stroke-width:1}.grid{stroke:#eee}</style>`)

	// Scales.
	maxRate := 1.0
	maxLat := 1.0
	for _, k := range buckets {
		maxRate = max(maxRate, float64(k.OK+k.Failed)/width)
		maxLat = max(maxLat, k.P99Ms)
	}
	maxRate = chartscale.NiceCeil(maxRate)
	maxLat = chartscale.NiceCeil(maxLat)

	// Panel 1: requests per second, ok stacked under failed.
	p(`<text x="%.0f" y="%.0f">requests/s (ok green, failed red)</text>`, padL, rateTop-26)
	for i := 0; i <= 4; i++ {
		v := maxRate * float64(i) / 4
		y := rateTop + rateH - rateH*float64(i)/4
		p(`<line class="grid" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`,
			padL, chartW-padR, y, y, padL-4, y+4, num(round(v, 1)))
	}
	bw := max(0.5, plotW*width/span-0.5)
	for _, k := range buckets {
		okH := rateH * float64(k.OK) / width / maxRate
		failH := rateH * float64(k.Failed) / width / maxRate
		x0 := x(k.FromS)
		tip := esc(fmt.Sprintf("+%.1fs: %d ok, %d failed", k.FromS, k.OK, k.Failed))
		p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4caf50"><title>%s</title></rect>`,
			x0, rateTop+rateH-okH, bw, okH, tip)
		if k.Failed > 0 {
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d32f2f"><title>%s</title></rect>`,
				x0, rateTop+rateH-okH-failH, bw, failH, tip)
		}
	}
	p(`<line class="ax" x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f"/>`, padL, chartW-padR, rateTop+rateH, rateTop+rateH)

	// Panel 2: latency.
	p(`<text x="%.0f" y="%.0f">latency ms (p50 blue, p99 orange)</text>`, padL, latTop-8)
	for i := 0; i <= 3; i++ {
		v := maxLat * float64(i) / 3
		y := latTop + latH - latH*float64(i)/3
		p(`<line class="grid" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`,
			padL, chartW-padR, y, y, padL-4, y+4, num(round(v, 1)))
	}
	for _, series := range []struct {
		color string
		val   func(Bucket) float64
	}{{"#1976d2", func(k Bucket) float64 { return k.P50Ms }}, {"#f57c00", func(k Bucket) float64 { return k.P99Ms }}} {
		var pts []string
		for _, k := range buckets {
			if k.OK == 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(k.FromS+width/2), latTop+latH-latH*series.val(k)/maxLat))
		}
		if len(pts) > 0 {
			p(`<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, series.color, strings.Join(pts, " "))
		}
	}
	p(`<line class="ax" x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f"/>`, padL, chartW-padR, axisBase, axisBase)

	// Error windows, shaded across both panels.
	for _, win := range rep.Windows {
		x0, x1 := x(win.FromS), x(win.ToS)
		p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d32f2f" fill-opacity="0.15"><title>%s</title></rect>`,
			x0, rateTop, max(1.5, x1-x0), axisBase-rateTop,
			esc(fmt.Sprintf("errors +%.3fs to +%.3fs: %d failed", win.FromS, win.ToS, win.Count)))
	}

	// Time axis.
	step := chartscale.NiceCeil(span / 10)
	for s := 0.0; s <= span+1e-9; s += step {
		p(`<text x="%.1f" y="%.0f" text-anchor="middle">%ss</text>`, x(s), axisBase+16, num(round(s, 1)))
	}
	p(`<text x="%.0f" y="%.0f" text-anchor="end">seconds after the first request</text>`, chartW-padR, axisBase+32)

	// Events: every one as a thin line with a tooltip; the rollout's own
	// milestones labelled.
	for _, e := range rep.Events {
		color, dash := "#9e9e9e", "2,3"
		switch e.Kind {
		case "rollout":
			color, dash = "#6a1b9a", ""
		case "pod":
			color = "#00838f"
		case "endpoint":
			color = "#5d4037"
		}
		xe := x(e.AtS)
		tip := esc(fmt.Sprintf("+%.3fs %s %s %s %s", e.AtS, e.Kind, e.Object, e.Reason, e.Detail))
		p(`<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="%s" stroke-dasharray="%s" stroke-width="1"><title>%s</title></line>`,
			xe, xe, rateTop-10, axisBase, color, dash, tip)
		if e.Kind == "rollout" {
			p(`<text x="%.1f" y="%.0f" fill="%s" style="fill:%s">%s</text>`, xe+2, rateTop-12, color, color, esc(e.Reason))
		}
	}
	p(`</svg>`)
	return b.String()
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"ms":      msText,
	"num":     num,
	"classes": func(r *Report) []string { return r.FailedClasses() },
	"winClasses": func(m map[string]int) string {
		var parts []string
		for _, c := range sortClasses(m, nil) {
			parts = append(parts, fmt.Sprintf("%s %d", c, m[c]))
		}
		return strings.Join(parts, ", ")
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>zerodrop verify: {{.R.Target.Method}} {{.R.Target.URL}}</title>
<style>
body{font:14px/1.4 sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}
th{background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}
</style></head><body>
<h1>zerodrop verify — {{.R.Target.Method}} {{.R.Target.URL}}</h1>
<p>{{if .R.Passed}}<span class="pass">PASS</span>{{else}}<span class="fail">FAIL</span>{{end}}:
{{.R.Requests.Failed}} failed of {{.R.Requests.Total}} (at most {{.R.MaxErrors}} allowed).
Started {{.R.Start.Format "2006-01-02 15:04:05.000 MST"}}, {{printf "%.1f" .R.DurationS}} s.
{{if .R.Interrupted}}Stopped early: {{.R.EndReason}}.{{end}}</p>
<table>
<tr><th>requests</th><td class="num">{{.R.Requests.Total}} total, {{.R.Requests.OK}} ok, {{.R.Requests.Failed}} failed</td></tr>
<tr><th>rate</th><td class="num">target {{num .R.Rate.Target}}/s, achieved {{num .R.Rate.Achieved}}/s, 99% sent within {{ms .R.Rate.LateP99Ms}} of schedule</td></tr>
<tr><th>latency</th><td class="num">p50 {{ms .R.LatencyMs.P50}}, p90 {{ms .R.LatencyMs.P90}}, p99 {{ms .R.LatencyMs.P99}}, max {{ms .R.LatencyMs.Max}}</td></tr>
{{with .R.Rollout}}<tr><th>rollout</th><td>{{.Workload}}{{with .Namespace}} in {{.}}{{end}}</td></tr>{{end}}
</table>
<h2>Timeline</h2>
{{.Chart}}
<p style="font-size:12px;color:#666">Bars: requests due in each {{num .Width}} s step, per second. Shaded: error windows.
Vertical lines: rollout events (hover for details); purple lines are the restart and its completion.</p>
{{if .R.Errors}}<h2>Errors</h2>
<table><tr><th>class</th><th>count</th><th>first message</th></tr>
{{range classes .R}}<tr><td>{{.}}</td><td class="num">{{index $.R.Errors .}}</td><td>{{index $.R.ErrorSamples .}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Windows}}<h2>Error windows</h2>
<table><tr><th>from</th><th>to</th><th>failed</th><th>classes</th></tr>
{{range .R.Windows}}<tr><td class="num">+{{printf "%.3f" .FromS}} s ({{.From.Format "15:04:05.000"}})</td><td class="num">+{{printf "%.3f" .ToS}} s</td><td class="num">{{.Count}}</td><td>{{winClasses .Classes}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Events}}<h2>Events</h2>
<table><tr><th>at</th><th>kind</th><th>object</th><th>what</th><th>detail</th></tr>
{{range .R.Events}}<tr><td class="num">+{{printf "%.3f" .AtS}} s</td><td>{{.Kind}}</td><td>{{.Object}}</td><td>{{.Reason}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))
