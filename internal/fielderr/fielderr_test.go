package fielderr

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestText(t *testing.T) {
	bad := errors.New("bad")
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"everything", Error{File: "p.yaml", Line: 3, Column: 5, Path: "default", Err: bad}, "p.yaml:3:5: default: bad"},
		{"file and line", Error{File: "p.yaml", Line: 3, Err: bad}, "p.yaml:3: bad"},
		{"file only", Error{File: "p.yaml", Err: bad}, "p.yaml: bad"},
		{"no file", Error{Line: 3, Column: 5, Path: "default", Err: bad}, "pkg: 3:5: default: bad"},
		{"line only", Error{Line: 3, Err: bad}, "pkg: 3: bad"},
		{"path only", Error{Path: "a.b", Err: bad}, "pkg: a.b: bad"},
		{"nothing", Error{Err: bad}, "pkg: bad"},
		{"nil problem", Error{Path: "a"}, "pkg: a: invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Text("pkg"); got != tc.want {
				t.Errorf("Text = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"weight", "weight", 0},
		{"wieght", "weight", 1}, // transposition
		{"valeu", "value", 1},
		{"nott", "not", 1},
		{"wieghtt", "weight", 2},
		{"kitten", "sitting", 3},
		{"negate", "not", 4},
		{"é", "e", 1}, // characters, not bytes
		{"ab", "", 2},
	}
	for _, tc := range tests {
		if got := Distance(tc.a, tc.b, 10); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a, 10); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
	if got := Distance("kitten", "sitting", 2); got != 2 {
		t.Errorf("bounded Distance = %d, want the bound 2", got)
	}
	if got := Distance(strings.Repeat("x", 1<<20), "x", 3); got != 3 {
		t.Errorf("Distance of a megabyte name = %d, want the bound", got)
	}
}

func TestUnknownField(t *testing.T) {
	valid := []string{"all", "any", "not", "key", "op", "value", "values"}
	tests := []struct{ name, want string }{
		{"nott", `unknown field "nott" (did you mean "not"?)`},
		{"valeu", `unknown field "valeu" (did you mean "value"?)`},
		{"vaules", `unknown field "vaules" (did you mean "values"?)`},
		{"Key", `unknown field "Key" (did you mean "key"?)`},
		{"negate", `unknown field "negate" (valid: all, any, not, key, op, value, values)`},
		{"x", `unknown field "x" (valid: all, any, not, key, op, value, values)`},
		{strings.Repeat("y", 100), `unknown field "` + strings.Repeat("y", 64) + `"... (valid: all, any, not, key, op, value, values)`},
	}
	for _, tc := range tests {
		if got := UnknownField(tc.name, valid).Error(); got != tc.want {
			t.Errorf("UnknownField(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFind(t *testing.T) {
	const doc = `name: p
rules:
  - audience: ca
    split:
      - variant: a
        weight: 50
fallbacks:
  "v2": v1
  "a\"]b": v1
base: &b {variant: x, weight: 7}
default:
  - <<: *b
    variant: y
`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		path      string
		line, col int
	}{
		{"top key", "name", 1, 7},
		{"nested index", "rules[0].split[0].weight", 6, 17},
		{"sequence element", "rules[0]", 3, 5},
		{"missing leaf stops at parent", "rules[0].split[0].nope", 5, 9},
		{"out of range index", "rules[7]", 3, 3},
		{"bracketed key", `fallbacks["v2"]`, 8, 9},
		{"bracketed key with quote and bracket", `fallbacks["a\"]b"]`, 9, 12},
		{"explicit key over merge", "default[0].variant", 13, 14},
		{"merged key", "default[0].weight", 10, 31},
		{"empty path is the root", "", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, col := Find(&root, tc.path)
			if line != tc.line || col != tc.col {
				t.Errorf("Find(%q) = %d:%d, want %d:%d", tc.path, line, col, tc.line, tc.col)
			}
		})
	}
	if l, c := Find(nil, "x"); l != 0 || c != 0 {
		t.Errorf("Find(nil) = %d:%d, want 0:0", l, c)
	}
}

func TestPosition(t *testing.T) {
	data := []byte("ab\nçd\n")
	tests := []struct {
		offset    int64
		line, col int
	}{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 2}, {100, 3, 1}, {-1, 1, 1},
	}
	for _, tc := range tests {
		if l, c := Position(data, tc.offset); l != tc.line || c != tc.col {
			t.Errorf("Position(%d) = %d:%d, want %d:%d", tc.offset, l, c, tc.line, tc.col)
		}
	}
}
