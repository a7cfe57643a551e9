package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLintBadPlans: each file of testdata/lint/bad holds one mistake; lint
// reports exactly that one, as an error at the right line, column and
// field path.
func TestLintBadPlans(t *testing.T) {
	tests := []struct {
		file      string
		line, col int
		path      string
		message   string // a part of the message
	}{
		{"01-empty-name.yaml", 2, 7, "name", "empty plan name"},
		{"02-no-default.yaml", 2, 1, "default", "empty split"},
		{"03-weights-sum.yaml", 4, 3, "default", "weights sum to 110"},
		{"04-negative-weight.yaml", 7, 13, "default[1].weight", "want >= 0"},
		{"05-duplicate-variant.yaml", 5, 15, "default[1].variant", `duplicate variant "control"`},
		{"06-empty-variant.yaml", 4, 15, "default[0].variant", "empty variant name"},
		{"07-unknown-audience.yaml", 7, 15, "rules[0].audience", `unknown audience "californa"`},
		{"08-rule-without-audience.yaml", 9, 5, "rules[1].audience", "empty audience name"},
		{"09-duplicate-rule-name.yaml", 12, 11, "rules[1].name", `duplicate rule name "west"`},
		{"10-rule-split-sum.yaml", 9, 7, "rules[0].split", "weights sum to 50"},
		{"11-rule-split-empty.yaml", 8, 12, "rules[0].split", "empty split"},
		{"12-audience-without-name.yaml", 6, 5, "audiences[1].name", "empty audience name"},
		{"13-duplicate-audience.yaml", 6, 11, "audiences[1].name", `duplicate audience "west"`},
		{"14-unknown-operator.yaml", 7, 11, "audiences[0].conditions.op", `unknown operator "equal"`},
		{"15-bad-regex.yaml", 8, 44, "audiences[0].conditions.all[1].value", "missing closing )"},
		{"16-semver-float.yaml", 5, 59, "audiences[0].conditions.value", "quoted string"},
		{"17-between-one-bound.yaml", 8, 15, "audiences[0].conditions.values", "needs 2 values"},
		{"18-fallback-to-itself.yaml", 7, 7, `fallbacks["v2"]`, "falls back to itself"},
		{"19-fallback-cycle.yaml", 7, 7, `fallbacks["v1"]`, "fallback cycle"},
		{"20-fallback-empty.yaml", 7, 7, `fallbacks["v2"]`, "empty fallback variant"},
		{"21-shadow-zero-percent.yaml", 7, 14, "shadows[0].percent", "percent is 0"},
		{"22-shadow-over-100.yaml", 7, 28, "shadows[1].percent", "percent is 150"},
		{"23-duplicate-shadow.yaml", 7, 15, "shadows[1].variant", `duplicate shadow "v2"`},
		{"24-shadow-without-variant.yaml", 6, 5, "shadows[0].variant", "empty variant name"},
		{"25-too-many-shadows.yaml", 6, 3, "shadows", "at most 8"},
		{"26-noise-floor.yaml", 5, 14, "noise_floor", "want [0, 100]"},
		{"27-misspelled-field.yaml", 7, 5, "default[1].wieght", `unknown field "wieght"`},
		{"28-weight-not-a-number.yaml", 5, 13, "default[0].weight", `"ninety"`},
		{"29-json-weight-string.json", 5, 40, "default[1].weight", `"50"`},
		{"30-json-trailing-comma.json", 5, 3, "", "invalid character ']'"},
	}
	files, err := filepath.Glob("testdata/lint/bad/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Fatalf("%d files in testdata/lint/bad, %d cases", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("testdata", "lint", "bad", tc.file)
			if _, err := os.Stat(file); err != nil {
				t.Fatal(err)
			}
			diags := lintFile(file, "")
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != severityError || d.File != file || d.Line != tc.line || d.Column != tc.col || d.Path != tc.path || !strings.Contains(d.Message, tc.message) {
				t.Errorf("got  %s (%s)\nwant %s:%d:%d: %s: ...%s...", d, d.Severity, file, tc.line, tc.col, tc.path, tc.message)
			}
			// The text form editors parse.
			prefix := file + ":" + strconv.Itoa(tc.line) + ":" + strconv.Itoa(tc.col) + ": "
			if tc.path != "" {
				prefix += tc.path + ": "
			}
			if !strings.HasPrefix(d.String(), prefix) {
				t.Errorf("%q does not start with %q", d.String(), prefix)
			}
			r := runCmd("lint", file)
			if r.code != 1 || r.stdout != d.String()+"\n" {
				t.Errorf("varroute lint: status %d, output %q", r.code, r.stdout)
			}
		})
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    diagnostic
		want string
	}{
		{diagnostic{File: "p.yaml", Line: 3, Column: 7, Path: "name", Severity: severityError, Message: "m"}, "p.yaml:3:7: name: m"},
		{diagnostic{File: "p.yaml", Line: 3, Path: "name", Severity: severityWarning, Message: "m"}, "p.yaml:3: name: warning: m"},
		{diagnostic{File: "p.yaml", Severity: severityError, Message: "m"}, "p.yaml: m"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.d.String(); got != tc.want {
				t.Errorf("got %q", got)
			}
		})
	}
}
