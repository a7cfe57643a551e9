package planfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

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
			wantMsg: "defualt",
		},
		{
			name:    "truncated",
			file:    "name: p\ndefault:\n  - {variant: a, wei",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: "yaml",
		},
		{
			name:    "empty",
			file:    "\n",
			wantIs:  strategy.ErrInvalidPlan,
			wantMsg: "empty plan file",
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
			p, err := Load(path)
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
			var pe *Error
			if !errors.As(err, &pe) || pe.Path != path {
				t.Fatalf("Load error %#v is not an *Error for %s", err, path)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "planfile: ") || !strings.Contains(msg, path) || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("Load error %q, want the prefix, the path and %q", msg, tc.wantMsg)
			}
		})
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := writeFile(t, t.TempDir(), "big.yaml", "name: p\n"+strings.Repeat("#", DefaultMaxSize))
	if _, err := Load(path); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Load error %v, want ErrTooLarge", err)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"position and field", &strategy.Error{Path: "default", Line: 3, Column: 5, Err: errors.New("bad")}, "planfile: p.yaml:3:5: default: bad"},
		{"field only", &strategy.Error{Path: "default[0].variant", Err: errors.New("bad")}, "planfile: p.yaml: default[0].variant: bad"},
		{"neither", &strategy.Error{Err: errors.New("bad")}, "planfile: p.yaml: bad"},
		{"other", errors.New("router: closed"), "planfile: p.yaml: router: closed"},
		{"path error", &fs.PathError{Op: "open", Path: "p.yaml", Err: fs.ErrNotExist}, "planfile: open p.yaml: file does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (&Error{Path: "p.yaml", Err: tc.err}).Error(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
