package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/varroute/varroute/strategy"
)

// DefaultFile is the name of the plan file a Target writes when
// TargetOptions.File is empty.
const DefaultFile = "plan.yaml"

// The names of a Target's directory, those of a Kubernetes ConfigMap
// volume: dataLink ("..data") points to the current generation, a directory
// named by genPrefix and a time stamp; the plan file is a link through it.
const (
	dataLink    = "..data"
	dataLinkTmp = "..data_tmp"
	genPrefix   = ".."
	genLayout   = "2006_01_02_15_04_05."
)

// TargetOptions configures a Target. The zero value writes DefaultFile in
// YAML.
type TargetOptions struct {
	// File is the plan file's name in the directory (no separator). A name
	// ending in ".json" is written in JSON, any other in YAML. Empty means
	// DefaultFile.
	File string
}

// A Target is a strategy.Target that publishes plans to a plan file: the
// one file that a Watcher in every replica of a service follows. It is how
// one controller (a rollout.Rollout, say) drives a whole fleet: the
// controller calls SetPlan, every replica's Watcher sees the new content
// at its next poll and applies it.
//
// A Target lays its directory out as Kubernetes lays out a ConfigMap volume,
// and changes it the same way, so that a reader sees the old plan or the new
// one, never a mix:
//
//	dir/..2026_03_02_09_00_00.123456/plan.yaml   the current generation
//	dir/..data -> ..2026_03_02_09_00_00.123456   a link to it
//	dir/plan.yaml -> ..data/plan.yaml            the path the Watchers read
//
// SetPlan writes a new generation directory (the file written and synced),
// points a temporary link at it and renames that link over ..data (an
// atomic swap), then removes the generations older than the one it
// replaced: the replaced one is kept until the next SetPlan, so a reader
// that resolved the link just before the swap can still open it. It needs
// symbolic links (every Unix; Windows only with the privilege to create
// them).
//
// # One writer
//
// A Target serializes its own SetPlan calls, but nothing stops two
// processes from writing the same directory: run exactly one controller per
// plan. In Kubernetes, either run the controller as a Deployment with
// replicas: 1 and strategy type Recreate (a RollingUpdate would start the
// new pod before the old one stops), accepting that no controller runs while
// its pod is rescheduled (the replicas keep serving the last plan; nothing
// is decided meanwhile), or run several with leader election
// (k8s.io/client-go/tools/leaderelection with a Lease lock): only the
// holder of the lease calls Step, and a controller that loses the lease
// stops stepping before its lease duration ends. A restarted controller
// starts its rollout again from its first step.
//
// In Kubernetes the controller does not write the volume itself (ConfigMap
// volumes are read-only in the pods): it updates the ConfigMap through the
// API server — a strategy.TargetFunc calling client-go's
// ConfigMaps(namespace).Update, whose resourceVersion check refuses an
// update based on a stale read, a second guard against two writers — and
// the kubelet of every node makes this same swap in every pod's volume,
// within its sync period (about a minute by default). Replicas therefore
// apply a step at different times: a controller must wait until every
// replica reports the step's plan revision before it judges the step (the
// Prometheus window in contrib/prometheus does). A Target writes that layout
// directly, for replicas sharing a directory on one host, and for tests.
//
// A Target is safe for concurrent use; it starts no goroutine. Its zero
// value is not usable: create one with NewTarget.
type Target struct {
	dir  string
	file string
	json bool

	mu sync.Mutex // serializes SetPlan
}

// NewTarget returns a Target that writes plans into the directory dir,
// creating it if needed. It writes nothing until SetPlan. It returns an
// error if dir is empty or cannot be created, or if opts.File is not a plain
// file name.
func NewTarget(dir string, opts TargetOptions) (*Target, error) {
	if dir == "" {
		return nil, errors.New("planfile: target: empty directory")
	}
	file := opts.File
	if file == "" {
		file = DefaultFile
	}
	if file != filepath.Base(file) || file == "." || file == ".." || strings.HasPrefix(file, genPrefix) || strings.ContainsRune(file, os.PathSeparator) {
		return nil, fmt.Errorf("planfile: target: file name %q: want a plain name not starting with %q", file, genPrefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("planfile: target: %w", err)
	}
	return &Target{dir: dir, file: file, json: strings.HasSuffix(file, ".json")}, nil
}

// Path returns the path of the plan file, dir/File: the path to give
// NewWatcher or Load.
func (t *Target) Path() string { return filepath.Join(t.dir, t.file) }

// SetPlan validates p and publishes it atomically (see Target). An invalid
// plan is refused with its *strategy.Error, and so is a plan whose encoding
// would not read back as the same plan; a failed write returns an error
// wrapping the *fs.PathError or *os.LinkError. In every case of error the
// plan published before stays in place.
func (t *Target) SetPlan(p strategy.Plan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	data, err := t.encode(p)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.publish(data); err != nil {
		return fmt.Errorf("planfile: target: publish plan %q: %w", p.Name, err)
	}
	return nil
}

// encode returns p in the file's format, checked to parse back as p.
func (t *Target) encode(p strategy.Plan) ([]byte, error) {
	var data []byte
	var err error
	if t.json {
		data, err = json.MarshalIndent(p, "", "  ")
		data = append(data, '\n')
	} else {
		data, err = yaml.Marshal(p)
	}
	if err != nil {
		return nil, fmt.Errorf("planfile: target: encode plan %q: %w", p.Name, err)
	}
	back, err := strategy.ParsePlan(data)
	if err != nil {
		return nil, fmt.Errorf("planfile: target: plan %q does not read back: %w", p.Name, err)
	}
	want, err1 := json.Marshal(p)
	got, err2 := json.Marshal(back)
	if err1 != nil || err2 != nil || !bytes.Equal(want, got) {
		return nil, fmt.Errorf("planfile: target: plan %q does not read back as itself", p.Name)
	}
	return data, nil
}

// publish writes data as a new generation and swaps ..data to it.
func (t *Target) publish(data []byte) error {
	gen, err := os.MkdirTemp(t.dir, genPrefix+time.Now().UTC().Format(genLayout))
	if err != nil {
		return err
	}
	if err := t.writeGeneration(gen, data); err != nil {
		_ = os.RemoveAll(gen)
		return err
	}
	prev, _ := os.Readlink(filepath.Join(t.dir, dataLink))
	if err := t.swapLink(dataLinkTmp, dataLink, filepath.Base(gen)); err != nil {
		_ = os.RemoveAll(gen)
		return err
	}
	want := filepath.Join(dataLink, t.file)
	if cur, err := os.Readlink(t.Path()); err != nil || cur != want {
		if err := t.swapLink(".."+t.file+"_tmp", t.file, want); err != nil {
			return err
		}
	}
	if err := syncDir(t.dir); err != nil {
		return err
	}
	t.prune(filepath.Base(gen), prev)
	return nil
}

// writeGeneration writes the plan file into the generation directory gen
// and syncs it.
func (t *Target) writeGeneration(gen string, data []byte) error {
	if err := os.Chmod(gen, 0o755); err != nil { // MkdirTemp makes it 0700
		return err
	}
	f, err := os.OpenFile(filepath.Join(gen, t.file), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return syncDir(gen)
}

// swapLink makes name a symbolic link to target, atomically: it creates the
// link as tmp and renames it over name.
func (t *Target) swapLink(tmp, name, target string) error {
	tmpPath := filepath.Join(t.dir, tmp)
	if err := os.Remove(tmpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Symlink(target, tmpPath); err != nil {
		return err
	}
	if err := os.Rename(tmpPath, filepath.Join(t.dir, name)); err != nil {
		_ = os.Remove(tmpPath)
		return err
	}
	return nil
}

// prune removes the generation directories other than cur and prev (left
// by earlier calls, or by a writer that stopped half way). Errors are
// ignored: a leftover directory costs space, not correctness.
func (t *Target) prune(cur, prev string) {
	entries, err := os.ReadDir(t.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() || n == cur || n == prev || !isGeneration(n) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(t.dir, n))
	}
}

// isGeneration reports whether name is a generation directory's name:
// ".." then a time stamp in genLayout and MkdirTemp's random suffix.
func isGeneration(name string) bool {
	rest, ok := strings.CutPrefix(name, genPrefix)
	if !ok || len(rest) <= len(genLayout) {
		return false
	}
	_, err := time.Parse(genLayout, rest[:len(genLayout)])
	return err == nil
}

// syncDir flushes a directory's entries to disk, where the system allows
// it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && (errors.Is(err, os.ErrInvalid) || errors.Is(err, errors.ErrUnsupported)) {
		return nil // directories cannot be synced here (Windows)
	}
	return err
}
