package yamlpos

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestFind(t *testing.T) {
	const doc = `name: p
rules:
  - audience: ca
    split:
      - variant: a
        weight: 50
fallbacks:
  "v2": v1
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
