package varhttp

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// newShadowRouter returns a router in which v1 serves and v2 shadows every
// unit, and closes it when the test ends.
func newShadowRouter(t testing.TB) *router.Router[int, int] {
	t.Helper()
	r, err := router.New(router.Config[int, int]{
		Variants: map[string]router.Predictor[int, int]{
			"v1": router.PredictorFunc[int, int](func(_ context.Context, in int) (int, error) { return in, nil }),
			"v2": router.PredictorFunc[int, int](func(_ context.Context, in int) (int, error) { return in % 2, nil }),
		},
		Plan: strategy.Shadow("v1", "v2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func TestStateHandler(t *testing.T) {
	r := newShadowRouter(t)
	for i := range 10 {
		if _, err := r.Predict(t.Context(), router.Unit{Key: "k"}, i); err != nil {
			t.Fatal(err)
		}
	}
	// Close waits for the shadow calls, so the report below is complete.
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	h := NewStateHandler(r, StateOptions{
		Rollout: func() any { return map[string]any{"step": 2, "percent": 5} },
		Extra:   map[string]func() any{"build": func() any { return "abc123" }},
		Now:     func() time.Time { return now },
	})
	srv := httptest.NewServer(h) // on loopback
	defer srv.Close()

	tests := []struct {
		name       string
		method     string
		query      string
		wantStatus int
		check      func(t *testing.T, body string)
	}{
		{
			name: "get", method: http.MethodGet, wantStatus: http.StatusOK,
			check: func(t *testing.T, body string) {
				var s State
				if err := json.Unmarshal([]byte(body), &s); err != nil {
					t.Fatal(err)
				}
				if !s.Time.Equal(now) || s.Plan == nil || s.Plan.Name != "shadow/v1" {
					t.Fatalf("state time %v plan %+v", s.Time, s.Plan)
				}
				if strings.Join(s.Variants, ",") != "v1,v2" {
					t.Errorf("variants %v", s.Variants)
				}
				if s.Shadow == nil || len(s.Shadow.Shadows) != 1 {
					t.Fatalf("shadow %+v, want one row", s.Shadow)
				}
				row := s.Shadow.Shadows[0]
				if row.Primary != "v1" || row.Shadow != "v2" || row.Comparisons != 10 || math.Abs(row.AgreementRate-0.2) > 1e-9 {
					t.Errorf("row %+v, want v1/v2 with 10 comparisons agreeing 20%%", row)
				}
				if s.ShadowStats == nil || s.ShadowStats.Completed != 10 {
					t.Errorf("shadow stats %+v, want 10 completed", s.ShadowStats)
				}
				if ro, _ := s.Rollout.(map[string]any); ro["step"] != 2.0 {
					t.Errorf("rollout %v", s.Rollout)
				}
				if s.Extra["build"] != "abc123" {
					t.Errorf("extra %v", s.Extra)
				}
				if strings.Contains(body, "\n  ") {
					t.Error("indented without ?pretty")
				}
			},
		},
		{
			name: "pretty", method: http.MethodGet, query: "?pretty", wantStatus: http.StatusOK,
			check: func(t *testing.T, body string) {
				if !strings.HasPrefix(body, "{\n  \"time\": \"2026-05-01T12:00:00Z\",\n  \"plan\": {") {
					t.Errorf("body %.60q, want indented JSON", body)
				}
			},
		},
		{
			name: "pretty=false", method: http.MethodGet, query: "?pretty=false", wantStatus: http.StatusOK,
			check: func(t *testing.T, body string) {
				if strings.Contains(body, "\n  ") {
					t.Error("indented with pretty=false")
				}
			},
		},
		{
			name: "head", method: http.MethodHead, wantStatus: http.StatusOK,
			check: func(t *testing.T, body string) {
				if body != "" {
					t.Errorf("HEAD body %q", body)
				}
			},
		},
		{
			name: "post", method: http.MethodPost, wantStatus: http.StatusMethodNotAllowed,
			check: func(t *testing.T, body string) {
				if !strings.Contains(body, `"error":"varhttp: method POST not allowed"`) {
					t.Errorf("body %q", body)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			if tc.wantStatus == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", resp.Header.Get("Allow"))
			}
			tc.check(t, string(body))
		})
	}
}

func TestStateHandlerUnmarshalable(t *testing.T) {
	h := NewStateHandler(nil, StateOptions{Rollout: func() any { return math.NaN() }})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusInternalServerError || !strings.HasPrefix(w.Body.String(), `{"error":"varhttp: state: json: unsupported value: NaN"}`) {
		t.Fatalf("status %d body %q, want 500 with the error", w.Code, w.Body.String())
	}
}

func TestStateHandlerWithoutRouter(t *testing.T) {
	h := NewStateHandler(nil, StateOptions{})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["time"]; !ok || len(m) != 1 {
		t.Fatalf("state %v, want only a time", m)
	}
}
