package document

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/internal/fielderr"
)

var lim = Limits{
	Size:  Limit{Name: "pkg.MaxSize", Value: 1 << 15},
	Depth: Limit{Name: "pkg.MaxDepth", Value: 8},
	Nodes: Limit{Name: "pkg.MaxNodes", Value: 100},
}

// decode turns a node tree into plain Go values, resolving scalars as the
// YAML decoder does, to compare what YAML and JSON inputs hold.
func decode(t *testing.T, n *yaml.Node) any {
	t.Helper()
	n = Resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		if err := Fields(n, "", nil, false, func(f Field) error { m[f.Name] = decode(t, f.Value); return nil }); err != nil {
			t.Fatal(err)
		}
		return m
	case yaml.SequenceNode:
		var l []any
		for _, c := range n.Content {
			l = append(l, decode(t, c))
		}
		return l
	}
	var x any
	if err := n.Decode(&x); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestLoadJSONAsYAML(t *testing.T) {
	const y = "a: [1, -2, 1.5, 1e3, 18446744073709551615, 99999999999999999999, true, null, \"x\", \"5\"]\nb: {c: {}}\nd: []\n"
	const j = `{"a": [1, -2, 1.5, 1e3, 18446744073709551615, 99999999999999999999, true, null, "x", "5"], "b": {"c": {}}, "d": []}`
	yn, err := Load([]byte(y), lim)
	if err != nil {
		t.Fatal(err)
	}
	jn, err := Load([]byte(j), lim)
	if err != nil {
		t.Fatal(err)
	}
	if yv, jv := decode(t, yn), decode(t, jn); !equal(yv, jv) {
		t.Errorf("YAML gives %#v,\nJSON gives %#v", yv, jv)
	}
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k := range a {
			if !equal(a[k], b[k]) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, data string
		pos        string // "line:col", "line" or ""
		msg        string
	}{
		{"too large", strings.Repeat(" ", 1<<15+1), "", "32769 bytes, more than pkg.MaxSize (32768)"},
		{"yaml syntax", "a: [\n", "1", "did not find expected node content"},
		{"second document", "a: 1\n---\nb: 2\n", "2:1", "a second YAML document"},
		{"yaml deep", strings.Repeat("[", 9) + strings.Repeat("]", 9), "1:9", "nested deeper than pkg.MaxDepth (8)"},
		{"yaml deep through alias", "a: &a [[[[[[1]]]]]]\nb: [[[*a]]]\n", "2:7", "nested deeper than pkg.MaxDepth (8)"},
		{"yaml parser depth", "a: " + strings.Repeat("[", 10001), "", "nested deeper than pkg.MaxDepth (8)"},
		{"json depth", strings.Repeat("[", 10001), "1:9", "nested deeper than pkg.MaxDepth (8)"},
		{"nodes", "[" + strings.Repeat("1,", 100) + "1]", "1:", "more than pkg.MaxNodes (100) nodes"},
		{"alias nodes", "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n", "2:", "more than pkg.MaxNodes (100) nodes"},
		{"alias cycle", "a: &a {b: *a}\n", "1:4", `anchor "a" holds an alias to itself`},
		{"json syntax", "{\n  \"a\": 1,\n}", "3:1", "invalid character '}'"},
		{"json truncated", `{"a": [1, 2`, "1:12", "unexpected end of JSON input"},
		{"json trailing", `{"a": 1} [2]`, "1:10", "data after the JSON value"},
		{"json deep", strings.Repeat(`{"a": `, 9) + "1" + strings.Repeat("}", 9), "1:49", "nested deeper than pkg.MaxDepth (8)"},
		{"json nodes", "[" + strings.Repeat("1,", 100) + "1]", "1:200", "more than pkg.MaxNodes (100) nodes"},
		{"json huge number", `[1e400]`, "1:2", "number 1e400 is out of range"},
		{"json columns in characters", "{\"é\": 1,\n \"ü\": ]}", "2:7", "invalid character ']'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.data), lim)
			var fe *fielderr.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Load error %v (%T), want *fielderr.Error", err, err)
			}
			pos := ""
			if fe.Line > 0 {
				pos = strings.TrimSuffix(fe.Text(""), ": "+fe.Err.Error())
			}
			if !strings.HasPrefix(pos, tc.pos) || (!strings.HasSuffix(tc.pos, ":") && pos != tc.pos) {
				t.Errorf("position %q, want %q (%v)", pos, tc.pos, err)
			}
			if !strings.Contains(fe.Err.Error(), tc.msg) {
				t.Errorf("error %q, want %q", fe.Err, tc.msg)
			}
		})
	}
}

func TestLoadEmpty(t *testing.T) {
	for _, data := range []string{"", "  \n", "# comment\n"} {
		n, err := Load([]byte(data), lim)
		if n != nil || err != nil {
			t.Errorf("Load(%q) = %v, %v, want nil, nil", data, n, err)
		}
	}
}

func TestFields(t *testing.T) {
	valid := []string{"name", "weight", "variant"}
	tests := []struct {
		name, data string
		want       string // name=value pairs in order, or the error
	}{
		{"plain", "{name: a, weight: 1}", "name=a weight=1"},
		{"merge", "{<<: {name: a, weight: 1}, weight: 2}", "name=a weight=2"},
		{"merge list", "{<<: [{name: a}, {name: b, weight: 3}]}", "name=a weight=3"},
		{"unknown", "{name: a, wieght: 1}", `1:14: v.wieght: unknown field "wieght" (did you mean "weight"?)`},
		{"unknown merged", "{<<: {nmae: a}}", `1:10: v.nmae: unknown field "nmae" (did you mean "name"?)`},
		{"duplicate", "{name: a, name: b}", `1:14: v.name: duplicate field "name"`},
		{"not a mapping", "[1]", "1:4: v: want a mapping, not a list"},
		{"bad merge", "{<<: 3}", "1:9: v: merge key (<<) wants a mapping or a list of mappings, not the number 3"},
		{"key not a scalar", "{[a]: 1}", "1:5: v: want a string key, not a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Load([]byte("v: "+tc.data), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = Fields(n.Content[1], "v", valid, false, func(f Field) error {
				got = append(got, f.Name+"="+f.Value.Value)
				return nil
			})
			s := strings.Join(got, " ")
			if err != nil {
				s = err.Error()
			}
			if s != tc.want {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
	n, _ := Load([]byte("id: 1\nname: a\n"), Limits{})
	var got []string
	if err := Fields(n, "", valid, true, func(f Field) error { got = append(got, f.Name); return nil }); err != nil || len(got) != 1 {
		t.Errorf("skipUnknown: %v, %v", got, err)
	}
	n, _ = Load([]byte(`{"v2": "v1", "a\"b": "c"}`), Limits{})
	got = nil
	if err := Entries(n, "fallbacks", func(f Field) error { got = append(got, f.Path); return nil }); err != nil || strings.Join(got, " ") != `fallbacks["v2"] fallbacks["a\"b"]` {
		t.Errorf("Entries paths %q, %v", got, err)
	}
}

func TestScalars(t *testing.T) {
	tests := []struct {
		name, data string
		text       string // Text's result or error
		number     string // Number's result or error
	}{
		{"yaml string", "a: x", "x", `a: want a number, not the string "x"`},
		{"yaml quoted number", `a: "10"`, "10", `a: want a number, not the string "10"`},
		{"yaml plain number", "a: 2026", "2026", "2026"},
		{"yaml float", "a: 1.5e2", "1.5e2", "150"},
		{"yaml hex", "a: 0x1F", "0x1F", "31"},
		{"yaml inf", "a: .inf", ".inf", "+Inf"},
		{"yaml tagged int", "a: !!int 5", "1:4: a: want a string, not the number 5", "5"},
		{"yaml null", "a: ~", "", "1:4: a: want a number, not null"},
		{"yaml bool", "a: true", "true", "1:4: a: want a number, not true"},
		{"yaml list", "a: [1]", "1:4: a: want a string, not a list", "1:4: a: want a number, not a list"},
		{"json string", `{"a": "x"}`, "x", `1:7: a: want a number, not the string "x"`},
		{"json number", `{"a": 5}`, "1:7: a: want a string, not the number 5", "5"},
		{"json bool", `{"a": false}`, "1:7: a: want a string, not false", "1:7: a: want a number, not false"},
		{"json null", `{"a": null}`, "", "1:7: a: want a number, not null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Load([]byte(tc.data), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			v := Resolve(n.Content[1])
			s, err := Text(v, "a")
			if err != nil {
				s = err.Error()
			}
			if s != tc.text {
				t.Errorf("Text = %q, want %q", s, tc.text)
			}
			f, err := Number(v, "a")
			s = strconv.FormatFloat(f, 'g', -1, 64)
			if err != nil {
				s = err.Error()
			}
			if s != tc.number && !(err != nil && strings.HasSuffix(s, tc.number)) {
				t.Errorf("Number = %q, want %q", s, tc.number)
			}
		})
	}
}
