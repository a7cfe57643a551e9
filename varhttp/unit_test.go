package varhttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTestExtractor(t testing.TB) *UnitExtractor {
	t.Helper()
	x, err := NewUnitExtractor(UnitConfig{
		KeyHeader: "x-user-id", // canonicalized
		KeyCookie: "uid",
		KeyQuery:  "user",
		Headers:   map[string]string{"location": "X-Location", "app_version": "X-App-Version", "beta": "X-Beta"},
		Query:     map[string]string{"age": "age", "score": "score", "plan": "plan", "ref": "ref"},
		Kinds: map[string]audience.Kind{
			"age":   audience.KindInt64,
			"score": audience.KindFloat64,
			"beta":  audience.KindBool,
			"plan":  audience.KindString,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestUnit(t *testing.T) {
	x := newTestExtractor(t)
	tests := []struct {
		name    string
		target  string
		headers map[string][]string
		want    router.Unit
	}{
		{
			name: "anonymous",
		},
		{
			name:    "key from header",
			headers: map[string][]string{"X-User-Id": {" alice "}, "Cookie": {"uid=bob"}},
			target:  "/?user=carol",
			want:    router.Unit{Key: "alice"},
		},
		{
			name:    "empty header falls back to cookie",
			headers: map[string][]string{"X-User-Id": {""}, "Cookie": {"theme=dark; uid=\"bob\"; other=1"}},
			target:  "/?user=carol",
			want:    router.Unit{Key: "bob"},
		},
		{
			name:    "cookie in a second header line",
			headers: map[string][]string{"Cookie": {"theme=dark", "uid=bob"}},
			want:    router.Unit{Key: "bob"},
		},
		{
			name:    "cookie of another name is not the key",
			headers: map[string][]string{"Cookie": {"xuid=bob; uid2=x"}},
			target:  "/?user=carol",
			want:    router.Unit{Key: "carol"},
		},
		{
			name:   "key from query, escaped",
			target: "/?a=1&user=c%C3%A9line+x",
			want:   router.Unit{Key: "céline x"},
		},
		{
			name:   "escaped query name",
			target: "/?us%65r=dan",
			want:   router.Unit{Key: "dan"},
		},
		{
			name: "attributes in name order, typed",
			headers: map[string][]string{
				"X-User-Id":     {"alice"},
				"X-Location":    {"california", "nevada"},
				"X-App-Version": {"2.3.1"},
				"X-Beta":        {"true"},
			},
			target: "/predict?age=31&score=0.5&plan=42&ref=",
			want: router.Unit{Key: "alice", Attrs: audience.Attributes{
				audience.Int64("age", 31),
				audience.String("app_version", "2.3.1"),
				audience.Bool("beta", true),
				audience.String("location", "california"),
				audience.String("plan", "42"),
				audience.Float64("score", 0.5),
			}},
		},
		{
			name:    "unparsable typed values give no attribute",
			headers: map[string][]string{"X-Beta": {"maybe"}},
			target:  "/?age=thirty&score=high",
			want:    router.Unit{Attrs: audience.Attributes{}},
		},
		{
			name:   "first query value wins; bad escapes are skipped",
			target: "/?age=%zz&age=5&age=6",
			want:   router.Unit{Attrs: audience.Attributes{audience.Int64("age", 5)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = "/"
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			for k, vs := range tc.headers {
				r.Header[k] = vs
			}
			got := x.Unit(r)
			if got.Key != tc.want.Key {
				t.Errorf("key %q, want %q", got.Key, tc.want.Key)
			}
			if got.Attrs.String() != tc.want.Attrs.String() || len(got.Attrs) != len(tc.want.Attrs) {
				t.Errorf("attrs %v, want %v", got.Attrs, tc.want.Attrs)
			}
			for i := range min(len(got.Attrs), len(tc.want.Attrs)) {
				if g, w := got.Attrs[i], tc.want.Attrs[i]; g.Key != w.Key || g.Value.Kind() != w.Value.Kind() {
					t.Errorf("attr %d: %s (%v), want %s (%v)", i, g.Key, g.Value.Kind(), w.Key, w.Value.Kind())
				}
			}
		})
	}
}

func TestZeroUnitExtractor(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?user=x", nil)
	r.Header.Set("X-User-ID", "alice")
	for _, x := range []*UnitExtractor{nil, {}} {
		if u := x.Unit(r); u.Key != "" || u.Attrs != nil {
			t.Fatalf("%#v.Unit = %+v, want an anonymous unit", x, u)
		}
	}
}

func TestNewUnitExtractorErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  UnitConfig
	}{
		{"empty attribute name", UnitConfig{Headers: map[string]string{"": "X-A"}}},
		{"empty header", UnitConfig{Headers: map[string]string{"a": ""}}},
		{"empty parameter", UnitConfig{Query: map[string]string{"a": ""}}},
		{"both header and query", UnitConfig{Headers: map[string]string{"a": "X-A"}, Query: map[string]string{"a": "a"}}},
		{"kind of unknown attribute", UnitConfig{Kinds: map[string]audience.Kind{"a": audience.KindInt64}}},
		{"unsupported kind", UnitConfig{Query: map[string]string{"a": "a"}, Kinds: map[string]audience.Kind{"a": audience.KindStrings}}},
		{"cookie name with a space", UnitConfig{KeyCookie: "user id"}},
		{"cookie name with a quote", UnitConfig{KeyCookie: `a"b`}},
		{"cookie name not ASCII", UnitConfig{KeyCookie: "usér"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewUnitExtractor(tc.cfg)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v, want one matching ErrConfig", err)
			}
		})
	}
}

// TestCookieKey checks the key read from a cookie against net/http's
// rules, case by case (FuzzCookieValue checks them at random).
func TestCookieKey(t *testing.T) {
	x, err := NewUnitExtractor(UnitConfig{KeyCookie: "uid", KeyQuery: "user"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cookie []string
		want   string
	}{
		{"plain", []string{"theme=dark; uid=bob"}, "bob"},
		{"quoted", []string{`uid="bob"`}, "bob"},
		{"spaces around the pair and the name", []string{"  uid =bob ;x=1"}, "bob"},
		{"space after = is part of the value, then trimmed", []string{"uid= bob"}, "bob"},
		{"second line", []string{"theme=dark", "uid=bob"}, "bob"},
		{"backslash refused, next one used", []string{`uid=a\b; uid=bob`}, "bob"},
		{"inner quote refused", []string{`uid=a"b`}, "carol"},
		{"one quote refused", []string{`uid="bob`}, "carol"},
		{"non-ASCII refused", []string{"uid=jos\u00e9"}, "carol"},
		{"control byte refused", []string{"uid=a\x01b"}, "carol"},
		{"comma and equals are fine", []string{"uid=a,b=c"}, "a,b=c"},
		{"name is case-sensitive", []string{"UID=bob"}, "carol"},
		{"quotes around a space", []string{`uid=" "`}, "carol"},
		{"tabs trimmed", []string{"\tuid=bob\t"}, "bob"},
		{"vertical tab not trimmed", []string{"\vuid=bob"}, "carol"},
		{"over 3000 cookies, none", []string{strings.Repeat("a=1; ", 3000) + "uid=bob"}, "carol"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/?user=carol", nil)
			r.Header["Cookie"] = tc.cookie
			if got := x.Key(r); got != tc.want {
				t.Errorf("Key = %q, want %q", got, tc.want)
			}
			want := ""
			if c, err := r.Cookie("uid"); err == nil {
				want = c.Value
			}
			if got := cookieValue(r.Header, "uid"); got != want {
				t.Errorf("cookieValue = %q, r.Cookie gives %q", got, want)
			}
		})
	}
}

func TestWithUnit(t *testing.T) {
	x := newTestExtractor(t)
	var got router.Unit
	var ok bool
	h := WithUnit(x, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got, ok = UnitFrom(r.Context())
	}))
	r := httptest.NewRequest(http.MethodGet, "/?age=7", nil)
	r.Header.Set("X-User-ID", "alice")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !ok || got.Key != "alice" || got.Attrs.String() != "age=7" {
		t.Fatalf("UnitFrom = %+v, %v; want alice with age=7", got, ok)
	}
	if _, ok := UnitFrom(context.Background()); ok {
		t.Fatal("UnitFrom found a unit in an empty context")
	}
}

func newBenchRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/predict?age=31&score=0.5&plan=pro", nil)
	r.Header.Set("X-User-ID", "user-12345")
	r.Header.Set("X-Location", "california")
	r.Header.Set("X-App-Version", "2.3.1")
	r.Header.Set("Cookie", "theme=dark; uid=user-12345")
	return r
}

func TestUnitAllocs(t *testing.T) {
	x := newTestExtractor(t)
	r := newBenchRequest()
	cr := newBenchRequest()
	cr.Header.Del("X-User-ID")
	tests := []struct {
		name string
		f    func()
		want float64
	}{
		{"Unit", func() { _ = x.Unit(r) }, 1},
		{"Key", func() { _ = x.Key(r) }, 0},
		{"Key from a cookie", func() { _ = x.Key(cr) }, 0},
		{"AppendAttrs", func() {
			var buf [8]audience.Attr
			_ = x.AppendAttrs(buf[:0], r)
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.f); n != tc.want {
				t.Fatalf("%v allocs, want %v", n, tc.want)
			}
		})
	}
}

func BenchmarkUnit(b *testing.B) {
	x := newTestExtractor(b)
	r := newBenchRequest()
	b.ReportAllocs()
	for b.Loop() {
		_ = x.Unit(r)
	}
}

func BenchmarkKeyCookie(b *testing.B) {
	x := newTestExtractor(b)
	r := newBenchRequest()
	r.Header.Del("X-User-ID")
	r.Header.Set("Cookie", "theme=dark; lang=en-US; consent=\"yes\"; uid=user-12345; _ga=GA1.2.3.4")
	b.ReportAllocs()
	for b.Loop() {
		if x.Key(r) != "user-12345" {
			b.Fatal("wrong key")
		}
	}
}
