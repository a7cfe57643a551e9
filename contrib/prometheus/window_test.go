package varprom_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/rollout"
)

// fakeAPI answers instant queries from a table: the first entry whose key
// the query starts with, at the time the query asks (zero time: any).
// Everything else of v1.API is left nil: the Window calls only Query.
type fakeAPI struct {
	v1.API
	answers  []fakeAnswer
	queries  []string
	warnings v1.Warnings
	err      error
}

type fakeAnswer struct {
	prefix string
	at     time.Time
	value  model.Value
}

func (f *fakeAPI) Query(_ context.Context, q string, ts time.Time, _ ...v1.Option) (model.Value, v1.Warnings, error) {
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, nil, f.err
	}
	for _, a := range f.answers {
		if strings.HasPrefix(q, a.prefix) && (a.at.IsZero() || a.at.Equal(ts)) {
			return a.value, f.warnings, nil
		}
	}
	return model.Vector{}, f.warnings, nil
}

// t0 is when the step of the tests began; the targets were last scraped a
// minute later (scraped), when the Window reads.
var (
	t0      = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	scraped = model.TimeFromUnixNano(t0.Add(time.Minute - 300*time.Millisecond).UnixNano())
)

// nativeHistogram returns the query API's form of a scale-3 native
// histogram: count in the bucket whose upper bound is 2^(k/8), for each k.
func nativeHistogram(counts map[int]float64, zero float64) *model.SampleHistogram {
	h := &model.SampleHistogram{}
	if zero > 0 {
		th := math.Exp2(-20)
		h.Buckets = append(h.Buckets, &model.HistogramBucket{Boundaries: 3, Lower: model.FloatString(-th), Upper: model.FloatString(th), Count: model.FloatString(zero)})
		h.Count += model.FloatString(zero)
	}
	for k := -200; k <= 200; k++ {
		c, ok := counts[k]
		if !ok {
			continue
		}
		lo, hi := math.Exp2(float64(k-1)/8), math.Exp2(float64(k)/8)
		h.Buckets = append(h.Buckets, &model.HistogramBucket{Boundaries: 0, Lower: model.FloatString(lo), Upper: model.FloatString(hi), Count: model.FloatString(c)})
		h.Count += model.FloatString(c)
		h.Sum += model.FloatString(c * hi)
	}
	return h
}

func series(labels model.Metric, h *model.SampleHistogram) *model.Sample {
	return &model.Sample{Metric: labels, Histogram: h}
}

func target(instance string) model.Metric {
	return model.Metric{model.MetricNameLabel: "up", "job": "model", "instance": model.LabelValue(instance)}
}

func durationSeries(instance, variant, outcome string) model.Metric {
	return model.Metric{model.MetricNameLabel: "varroute_request_duration_seconds", "job": "model", "instance": model.LabelValue(instance),
		"plan": "canary/v2", "revision": "abc", "rule": "default", "variant": model.LabelValue(variant), "reason": "default", "outcome": model.LabelValue(outcome)}
}

func info(instance string) *model.Sample {
	return &model.Sample{Timestamp: model.TimeFromUnixNano(t0.Add(time.Minute).UnixNano()), Metric: model.Metric{model.MetricNameLabel: "varroute_plan_info", "job": "model", "instance": model.LabelValue(instance), "plan": "canary/v2", "revision": "abc"}, Value: 1}
}

var query = rollout.Query{Plan: "canary/v2", Revision: "abc", Since: t0, Baseline: "v1", Candidate: "v2"}

func newTestWindow(t *testing.T, api v1.API, now time.Time) *varprom.Window {
	t.Helper()
	w, err := varprom.NewWindow(varprom.WindowOptions{API: api, Targets: `up{job="model"}`, Replicas: 2, ScrapeInterval: time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWindowRead(t *testing.T) {
	now := t0.Add(time.Minute)
	api := &fakeAPI{answers: []fakeAnswer{
		{prefix: "up", value: model.Vector{{Metric: target("a:1"), Value: 1, Timestamp: scraped}, {Metric: target("b:1"), Value: 1, Timestamp: scraped}}},
		{prefix: "varroute_plan_info", value: model.Vector{info("a:1"), info("b:1")}},
		{prefix: "varroute_request_duration_seconds", at: now, value: model.Vector{
			series(durationSeries("a:1", "v1", "ok"), nativeHistogram(map[int]float64{-50: 10, -49: 5}, 1)),
			series(durationSeries("b:1", "v1", "ok"), nativeHistogram(map[int]float64{-50: 4}, 0)),
			series(durationSeries("a:1", "v1", "fallback"), nativeHistogram(map[int]float64{-40: 2}, 0)),
			series(durationSeries("a:1", "v2", "ok"), nativeHistogram(map[int]float64{-45: 7}, 0)),
			series(durationSeries("b:1", "v2", "error"), nativeHistogram(map[int]float64{-45: 3, 60: 2}, 0)), // 60: past 64 s
			series(durationSeries("b:1", "v3", "ok"), nativeHistogram(map[int]float64{-45: 100}, 0)),         // not compared
			series(durationSeries("c:1", "v1", "ok"), nativeHistogram(map[int]float64{-45: 100}, 0)),         // not a target
		}},
		// At the step's start, a.1's v1 series already counted 3 requests
		// (the revision applied before), b.1's v2 series had more than now (a
		// restart since): it counts whole.
		{prefix: "varroute_request_duration_seconds", at: t0, value: model.Vector{
			series(durationSeries("a:1", "v1", "ok"), nativeHistogram(map[int]float64{-50: 3}, 0)),
			series(durationSeries("b:1", "v2", "error"), nativeHistogram(map[int]float64{-45: 9}, 0)),
		}},
	}}
	w := newTestWindow(t, api, now)
	ev, err := w.Read(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		got              rollout.VariantWindow
		requests, errors int64
		zero, overflow   int64
		bucket           map[int]int64 // router bucket index -> count
	}{
		{"baseline", ev.Baseline, 16 + 4 + 2 - 3, 2, 1, 0, map[int]int64{-51: 7 + 4, -50: 5, -41: 2}},
		{"candidate", ev.Candidate, 7 + 3 + 2, 5, 0, 2, map[int]int64{-46: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.got.Latency
			if tc.got.Requests != tc.requests || tc.got.Errors != tc.errors || tc.got.Units != 0 || tc.got.Metrics != nil {
				t.Fatalf("requests %d errors %d units %d metrics %v; want %d, %d, 0, nil", tc.got.Requests, tc.got.Errors, tc.got.Units, tc.got.Metrics, tc.requests, tc.errors)
			}
			if h.Count() != tc.requests || h.Scale != 3 || h.ZeroCount != tc.zero || h.Overflow != tc.overflow {
				t.Fatalf("histogram count %d scale %d zero %d overflow %d", h.Count(), h.Scale, h.ZeroCount, h.Overflow)
			}
			for i, c := range h.Counts {
				if want := tc.bucket[h.Offset+i]; c != want {
					t.Errorf("bucket %d: %d, want %d", h.Offset+i, c, want)
				}
			}
		})
	}
	for _, q := range api.queries {
		if strings.HasPrefix(q, "varroute_request_duration_seconds") && q != `varroute_request_duration_seconds{plan="canary/v2",revision="abc",reason!="no-key"}` {
			t.Errorf("query %s", q)
		}
	}
}

func TestWindowNotReady(t *testing.T) {
	now := t0.Add(time.Minute)
	up := fakeAnswer{prefix: "up", value: model.Vector{{Metric: target("a:1"), Value: 1, Timestamp: scraped}, {Metric: target("b:1"), Value: 1, Timestamp: scraped}}}
	infos := fakeAnswer{prefix: "varroute_plan_info", value: model.Vector{info("a:1"), info("b:1")}}
	tests := []struct {
		name    string
		api     *fakeAPI
		now     time.Time
		want    string
		wantErr error // matched besides rollout.ErrNotReady
	}{
		{"before the scrape interval and settle time", &fakeAPI{answers: []fakeAnswer{up, infos}}, t0.Add(1500 * time.Millisecond), "1.5s since the step began, waiting 2s", nil},
		{"no target", &fakeAPI{}, now, `up{job="model"} selects 0 targets, want 2`, nil},
		{"fewer targets than replicas", &fakeAPI{answers: []fakeAnswer{{prefix: "up", value: model.Vector{{Metric: target("a:1"), Value: 1, Timestamp: scraped}}}}}, now, "selects 1 targets, want 2", nil},
		{"a target not scraped lately", &fakeAPI{answers: []fakeAnswer{{prefix: "up", value: model.Vector{{Metric: target("a:1"), Value: 1, Timestamp: scraped}, {Metric: target("b:1"), Value: 1, Timestamp: scraped.Add(-3 * time.Second)}}}}}, now, "1 of 2 targets not scraped for more than 3s: b:1", nil},
		{"a target down", &fakeAPI{answers: []fakeAnswer{{prefix: "up", value: model.Vector{{Metric: target("a:1"), Value: 1, Timestamp: scraped}, {Metric: target("b:1"), Value: 0, Timestamp: scraped}}}}}, now, "1 of 2 targets down: b:1", nil},
		{"a target without the revision", &fakeAPI{answers: []fakeAnswer{up, {prefix: "varroute_plan_info", value: model.Vector{info("a:1")}}}}, now, `1 of 2 targets do not report plan "canary/v2" revision abc yet: b:1`, nil},
		{"a query fails", &fakeAPI{err: context.DeadlineExceeded}, now, `query up{job="model"}`, context.DeadlineExceeded},
		{"a partial result", &fakeAPI{answers: []fakeAnswer{up}, warnings: v1.Warnings{"remote read failed"}}, now, "partial result: remote read failed", nil},
		{"not a vector", &fakeAPI{answers: []fakeAnswer{{prefix: "up", value: &model.Scalar{}}}}, now, "got a scalar, want a vector", nil},
		{"a classic histogram", &fakeAPI{answers: []fakeAnswer{up, infos, {prefix: "varroute_request", value: model.Vector{{Metric: durationSeries("a:1", "v1", "ok"), Value: 3}}}}}, now, "not a native histogram", nil},
		{"buckets on other boundaries", &fakeAPI{answers: []fakeAnswer{up, infos, {prefix: "varroute_request", value: model.Vector{series(durationSeries("a:1", "v1", "ok"), &model.SampleHistogram{
			Count: 1, Buckets: model.HistogramBuckets{{Lower: 1, Upper: 1.3, Count: 1}}})}}}}, now, "not exponential", nil},
		{"buckets that do not sum to the count", &fakeAPI{answers: []fakeAnswer{up, infos, {prefix: "varroute_request", value: model.Vector{series(durationSeries("a:1", "v1", "ok"), &model.SampleHistogram{
			Count: 2, Buckets: model.HistogramBuckets{{Lower: 1, Upper: model.FloatString(math.Exp2(0.125)), Count: 1}}})}}}}, now, "buckets sum to 1, count is 2", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWindow(t, tc.api, tc.now)
			ev, err := w.Read(t.Context(), query)
			if !errors.Is(err, rollout.ErrNotReady) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "varprom: ") {
				t.Fatalf("Read = %v, want not ready: %s", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Read = %v, want it to match %v", err, tc.wantErr)
			}
			if ev.Baseline.Requests != 0 || ev.Candidate.Requests != 0 || ev.Baseline.Latency.Counts != nil {
				t.Fatalf("evidence %+v returned with an error", ev)
			}
		})
	}
}

func TestNewWindowErrors(t *testing.T) {
	api := &fakeAPI{}
	tests := []struct {
		name string
		opts varprom.WindowOptions
	}{
		{"no API", varprom.WindowOptions{ScrapeInterval: time.Second}},
		{"no scrape interval", varprom.WindowOptions{API: api}},
		{"negative replicas", varprom.WindowOptions{API: api, ScrapeInterval: time.Second, Replicas: -1}},
		{"negative settle", varprom.WindowOptions{API: api, ScrapeInterval: time.Second, Settle: -time.Second}},
		{"negative timeout", varprom.WindowOptions{API: api, ScrapeInterval: time.Second, Timeout: -time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := varprom.NewWindow(tc.opts); err == nil || !strings.HasPrefix(err.Error(), "varprom: window: ") {
				t.Fatalf("NewWindow = %v", err)
			}
		})
	}
}

// TestWindowReadsCapturedResponse reads a response of Prometheus 2.42's query
// API (testdata/query.json: a native histogram of the Collector scraped
// with --enable-feature=native-histograms) and checks the conversion.
func TestWindowReadsCapturedResponse(t *testing.T) {
	data, err := os.ReadFile("testdata/query.json")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Data struct {
			Result model.Vector `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Data.Result) != 1 || resp.Data.Result[0].Histogram == nil {
		t.Fatalf("fixture: %s", data)
	}
	s := resp.Data.Result[0]
	inst := string(s.Metric["instance"])
	api := &fakeAPI{answers: []fakeAnswer{
		{prefix: "up", value: model.Vector{{Metric: model.Metric{"__name__": "up", "job": s.Metric["job"], "instance": s.Metric["instance"]}, Value: 1, Timestamp: s.Timestamp}}},
		{prefix: "varroute_plan_info", value: model.Vector{{Metric: model.Metric{"job": s.Metric["job"], "instance": s.Metric["instance"], "plan": s.Metric["plan"], "revision": s.Metric["revision"]}, Value: 1}}},
		{prefix: "varroute_request", value: resp.Data.Result},
	}}
	w, err := varprom.NewWindow(varprom.WindowOptions{API: api, ScrapeInterval: time.Second, Now: s.Timestamp.Time})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := w.Read(t.Context(), rollout.Query{Plan: string(s.Metric["plan"]), Revision: string(s.Metric["revision"]), Baseline: "v1", Candidate: string(s.Metric["variant"])})
	if err != nil {
		t.Fatalf("%s: %v", inst, err)
	}
	h := ev.Candidate.Latency
	if ev.Candidate.Requests != int64(s.Histogram.Count) || h.Count() != ev.Candidate.Requests || h.Scale != 3 {
		t.Fatalf("requests %d, histogram of %d at scale %d; want %v", ev.Candidate.Requests, h.Count(), h.Scale, s.Histogram.Count)
	}
	// Every bucket of the response is a bucket of the router's layout,
	// numbered one lower (Prometheus's bucket k has upper bound 2^(k/8)).
	n := 0
	for _, b := range s.Histogram.Buckets {
		if b.Lower <= 0 {
			if h.ZeroCount != int64(b.Count) {
				t.Errorf("zero bucket %v, got %d", b, h.ZeroCount)
			}
			continue
		}
		k := int(math.Round(8 * math.Log2(float64(b.Upper))))
		if got := h.Counts[k-1-h.Offset]; got != int64(b.Count) {
			t.Errorf("bucket %v: got %d", b, got)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("the fixture has %d buckets; want a spread", n)
	}
	if d := h.Sum.Seconds() - float64(s.Histogram.Sum); math.Abs(d) > 1e-9 {
		t.Errorf("sum %v, want %v", h.Sum, s.Histogram.Sum)
	}
}

// ExampleWindow shows the figures a Window reads for a step, here from a
// stand-in for Prometheus's API (use v1.NewAPI of an api.Client).
func ExampleWindow() {
	now := t0.Add(time.Minute)
	api := &fakeAPI{answers: []fakeAnswer{
		{prefix: "up", value: model.Vector{{Metric: target("a:1"), Value: 1, Timestamp: scraped}, {Metric: target("b:1"), Value: 1, Timestamp: scraped}}},
		{prefix: "varroute_plan_info", value: model.Vector{info("a:1"), info("b:1")}},
		{prefix: "varroute_request", at: now, value: model.Vector{
			series(durationSeries("a:1", "v1", "ok"), nativeHistogram(map[int]float64{-40: 90}, 0)),
			series(durationSeries("b:1", "v1", "ok"), nativeHistogram(map[int]float64{-40: 88}, 0)),
			series(durationSeries("b:1", "v1", "error"), nativeHistogram(map[int]float64{-40: 2}, 0)),
			series(durationSeries("a:1", "v2", "ok"), nativeHistogram(map[int]float64{-36: 18}, 0)),
			series(durationSeries("b:1", "v2", "fallback"), nativeHistogram(map[int]float64{-36: 2}, 0)),
		}},
	}}
	w, err := varprom.NewWindow(varprom.WindowOptions{
		API:            api,
		Targets:        `up{job="model"}`,
		Replicas:       2,
		ScrapeInterval: 15 * time.Second,
		Now:            func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	q := rollout.Query{Plan: "canary/v2", Revision: "abc", Since: t0, Baseline: "v1", Candidate: "v2"}
	ev, err := w.Read(context.Background(), q)
	if err != nil {
		panic(err)
	}
	for _, v := range []struct {
		name string
		vw   rollout.VariantWindow
	}{{"v1", ev.Baseline}, {"v2", ev.Candidate}} {
		fmt.Printf("%s: %d requests, %d errors, median %v\n", v.name, v.vw.Requests, v.vw.Errors, v.vw.Latency.Quantile(0.5).Round(time.Microsecond))
	}

	// Right after the step began, it is not ready.
	q.Since = now.Add(-5 * time.Second)
	_, err = w.Read(context.Background(), q)
	fmt.Println(errors.Is(err, rollout.ErrNotReady), err)
	// Output:
	// v1: 180 requests, 2 errors, median 29.897ms
	// v2: 20 requests, 2 errors, median 42.281ms
	// true varprom: 5s since the step began, waiting 30s (scrape interval and settle time): rollout: evidence not ready
}
