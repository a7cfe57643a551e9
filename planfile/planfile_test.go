package planfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		file     string // "" means a file that does not exist
		wantPlan string
		wantIs   error
		wantMsg  string // substring of the error message, after the path
	}{
		{
			name:     "yaml",
			file:     "name: p\ndefault:\n  - {variant: a, weight: 90}\n  - {variant: b, weight: 10}\n",
			wantPlan: "p",
		},
		{
			name:     "json",
			file:     `{"name": "p", "default": [{"variant": "a", "weight": 100}]}`,
			wantPlan: "p",
		},
		{
			name:    "weights",
			file:    "name: p\ndefault:\n  - {variant: a, weight: 90}\n  - {variant: b, weight: 5}\n",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: ":3:3: default: weights sum to 95, want 100",
		},
		{
			name:    "unknown field",
			file:    "name: p\ndefualt:\n  - {variant: a, weight: 100}\n",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: `:2:1: defualt: unknown field "defualt" (did you mean "default"?)`,
		},
		{
			name:    "string weight",
			file:    "name: p\ndefault:\n  - {variant: a, weight: \"100\"}\n",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: `:3:26: default[0].weight: want a number, not the string "100"`,
		},
		{
			name:    "truncated",
			file:    "name: p\ndefault:\n  - {variant: a, wei",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: ":2: did not find expected ',' or '}'",
		},
		{
			name:    "empty",
			file:    "\n",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: ": empty plan",
		},
		{
			name:    "missing",
			wantIs:  fs.ErrNotExist,
			wantMsg: "no such file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if tc.file != "" {
				writeFile(t, dir, filepath.Base(path), tc.file)
			}
			p, err := planfile.Load(path)
			if tc.wantIs == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if p.Name != tc.wantPlan {
					t.Fatalf("plan %q, want %q", p.Name, tc.wantPlan)
				}
				return
			}
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("Load error %v, want one matching %v", err, tc.wantIs)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("Load error %q, want the path and %q", msg, tc.wantMsg)
			}
			var se *strategy.Error
			var pe *fs.PathError
			switch {
			case errors.Is(err, strategy.ErrInvalidPlan):
				if !errors.As(err, &se) || se.File != path || !strings.HasPrefix(msg, path+":") {
					t.Fatalf("Load error %#v is not a *strategy.Error for %s", err, path)
				}
			case !errors.As(err, &pe) || pe.Path != path:
				t.Fatalf("Load error %#v is not an *fs.PathError for %s", err, path)
			}
		})
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := writeFile(t, t.TempDir(), "big.yaml", "name: p\n"+strings.Repeat("#", planfile.DefaultMaxSize))
	_, err := planfile.Load(path)
	var pe *fs.PathError
	if !errors.Is(err, planfile.ErrTooLarge) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("Load error %v, want an *fs.PathError matching ErrTooLarge", err)
	}
}

// TestLoadNotRegular checks that a directory at the path is refused without
// being read.
func TestLoadNotRegular(t *testing.T) {
	dir := t.TempDir()
	_, err := planfile.Load(dir)
	var pe *fs.PathError
	if !errors.Is(err, planfile.ErrNotRegular) || !errors.As(err, &pe) || pe.Path != dir || !strings.Contains(err.Error(), "a directory") {
		t.Fatalf("Load error %v, want an *fs.PathError matching ErrNotRegular naming a directory", err)
	}
}
