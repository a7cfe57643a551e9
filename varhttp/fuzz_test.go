package varhttp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzQueryValue checks queryValue against net/url: it must return what
// url.ParseQuery(raw).Get(name) returns, without building url.Values.
func FuzzQueryValue(f *testing.F) {
	f.Add("age=31&location=ca", "age")
	f.Add("a=1&a=2", "a")
	f.Add("x%20y=1&x+y=2", "x y")
	f.Add("k=%zz&k=ok", "k")
	f.Add("k=a;b&k=c", "k")
	f.Add("=v&k", "k")
	f.Fuzz(func(t *testing.T, raw, name string) {
		got := queryValue(raw, name)
		vals, _ := url.ParseQuery(raw) // keeps the pairs that parse
		if want := vals.Get(name); got != want {
			t.Fatalf("queryValue(%q, %q) = %q, url.ParseQuery gives %q", raw, name, got, want)
		}
	})
}

// FuzzCookieValue checks cookieValue against net/http: for Cookie headers
// of one or two lines, it must return the Value of r.Cookie(name), or ""
// when r.Cookie returns http.ErrNoCookie.
func FuzzCookieValue(f *testing.F) {
	f.Add("uid=42; theme=dark", "", "uid")
	f.Add(`uid="quoted"`, "", "uid")
	f.Add(";;=;uid", "", "uid")
	f.Add("a=1; a=2", "", "a")
	f.Add(`a=x\y; a="b"`, "", "a")
	f.Add(`a=x"y; a=ok`, "", "a")
	f.Add("a=caf\xc3\xa9; a=2", "", "a")
	f.Add(`a\b=1`, "", `a\b`)
	f.Add(" uid = bob ", "uid=x", "uid")
	f.Add("uid=\v1\v", "", "uid")
	f.Add("x=1", "uid=2", "uid")
	f.Add(strings.Repeat("a=1;", 3000), "", "a")
	f.Fuzz(func(t *testing.T, line1, line2, name string) {
		h := http.Header{"Cookie": {line1}}
		if line2 != "" {
			h["Cookie"] = append(h["Cookie"], line2)
		}
		want := ""
		if c, err := (&http.Request{Header: h}).Cookie(name); err == nil {
			want = c.Value
		}
		if got := cookieValue(h, name); got != want {
			t.Fatalf("cookieValue(%q, %q) = %q, http.Request.Cookie gives %q", h["Cookie"], name, got, want)
		}
	})
}
