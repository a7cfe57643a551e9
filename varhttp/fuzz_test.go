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

// FuzzCookieValue checks cookieValue's invariants: no panic, and a value
// that is a trimmed, unquoted piece of one of the Cookie headers.
func FuzzCookieValue(f *testing.F) {
	f.Add("uid=42; theme=dark", "uid")
	f.Add(`uid="quoted"`, "uid")
	f.Add(";;=;uid", "uid")
	f.Add("a=1; a=2", "a")
	f.Fuzz(func(t *testing.T, header, name string) {
		h := http.Header{"Cookie": {header}}
		got := cookieValue(h, name)
		if got != "" && !strings.Contains(header, got) {
			t.Fatalf("cookieValue(%q, %q) = %q, not part of the header", header, name, got)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("cookieValue(%q, %q) = %q, not trimmed", header, name, got)
		}
	})
}
