package study

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/angioseg/dskd/dskd"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
)

// Job is one run of a study's grid.
type Job struct {
	Arm    string // preset, then "+path=value" for each override with several values
	Preset string
	Fold   int
	Seed   int64
	Dir    string // run folder, relative to the study folder: runs/ARM/fold-F_seed-S
	// Hash identifies what the run measures: its effective configuration
	// without the execution settings (threads, workers, device, out_dir,
	// progress_every, overlays, keep_last), and the names of its training,
	// validation and held-out samples.
	Hash   string
	Config dskd.Config // effective configuration (defaults filled in)
	split  data.Split
}

// ID names the run in messages: ARM/fold-F_seed-S.
func (r Job) ID() string { return fmt.Sprintf("%s/fold-%d_seed-%d", r.Arm, r.Fold, r.Seed) }

// studyArm is one combination of a preset (or a named arm) and one value
// per multi-valued override.
type studyArm struct {
	name, preset string
	// base is the preset or the named arm the arm grew from, and suffix
	// the "+path=value" labels of its multi-valued overrides: name = base
	// + suffix.
	base, suffix string
	settings     []setting
}

// arms expands (presets, then named arms) × multi-valued overrides,
// presets outermost and overrides in the order given. A named arm's own
// settings come before the overrides'.
func (s Spec) arms() []studyArm {
	arms := []studyArm{}
	for _, p := range s.Presets {
		arms = append(arms, studyArm{name: p, preset: p, base: p})
	}
	for _, a := range s.Arms {
		var own []setting
		for _, o := range a.Sets {
			own = append(own, setting{o.Path, o.Values[0]})
		}
		arms = append(arms, studyArm{name: a.Name, preset: a.Preset, base: a.Name, settings: own})
	}
	for _, o := range s.Sets {
		if len(o.Values) < 2 {
			continue
		}
		var next []studyArm
		for _, a := range arms {
			for _, v := range o.Values {
				st := append(append([]setting(nil), a.settings...), setting{o.Path, v})
				label := "+" + o.Path + "=" + valueLabel(v)
				next = append(next, studyArm{name: a.name + label, preset: a.preset, base: a.base, suffix: a.suffix + label, settings: st})
			}
		}
		arms = next
	}
	return arms
}

// armFolder turns an arm name into a folder name.
func armFolder(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._=+-", c) >= 0
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// grid builds every run (fold outermost, then seed, then arm: the paired
// runs of a fold and seed finish close together) with its configuration,
// split and hash. threads is each run's libtorch and data thread count;
// run folders lie under the study folder dir.
func (s Spec) grid(dir string, pool []data.Sample, threads int) ([]Job, error) {
	var fixed []setting
	for _, o := range s.Sets {
		if len(o.Values) == 1 {
			fixed = append(fixed, setting{o.Path, o.Values[0]})
		}
	}
	arms := s.arms()
	folders := map[string]string{}
	for _, a := range arms {
		f := armFolder(a.name)
		if prev, dup := folders[f]; dup {
			return nil, fmt.Errorf("study: arms %q and %q would share the folder %s", prev, a.name, f)
		}
		folders[f] = a.name
	}
	var runs []Job
	for _, fold := range s.FoldIDs {
		for _, seed := range s.Seeds {
			for _, a := range arms {
				cfg, err := applySettings(s.Config, append(append([]setting(nil), fixed...), a.settings...))
				if err != nil {
					return nil, fmt.Errorf("study: arm %s: %w", a.name, err)
				}
				r := Job{Arm: a.name, Preset: a.preset, Fold: fold}
				r.Dir = filepath.Join("runs", armFolder(a.name), fmt.Sprintf("fold-%d_seed-%d", fold, effectiveSeed(seed)))
				cfg.Loss.Preset, cfg.Seed, cfg.Threads, cfg.Workers = losses.Preset(a.preset), seed, threads, threads
				cfg.OutDir = filepath.Join(dir, r.Dir)
				if r.Config, err = cfg.WithDefaults(); err != nil {
					return nil, fmt.Errorf("study: arm %s: %w", a.name, err)
				}
				r.Seed = r.Config.Seed
				if r.split, err = foldSplit(pool, s.Folds, fold, s.SplitSeed, r.Config.ValFraction); err != nil {
					return nil, err
				}
				if r.Hash, err = runHash(r.Config, r.split); err != nil {
					return nil, err
				}
				runs = append(runs, r)
			}
		}
	}
	return runs, nil
}

func effectiveSeed(s int64) int64 {
	if s == 0 {
		return 42
	}
	return s
}

// measuredConfig is cfg without the settings that change how a run
// executes, not what it measures.
func measuredConfig(cfg dskd.Config) dskd.Config {
	cfg.Threads, cfg.Workers, cfg.Device, cfg.OutDir = 0, 0, "", ""
	cfg.ProgressEvery, cfg.Overlays, cfg.KeepLast = 0, 0, 0
	return cfg
}

// runHash hashes the measured configuration and the sample names of the
// split (12 hex digits).
func runHash(cfg dskd.Config, split data.Split) (string, error) {
	b, err := json.Marshal(measuredConfig(cfg))
	if err != nil {
		return "", fmt.Errorf("study: %w", err)
	}
	h := sha256.New()
	h.Write(b)
	for _, part := range [][]data.Sample{split.Train, split.Val, split.Test} {
		h.Write([]byte{'\n'})
		for _, smp := range part {
			h.Write([]byte(smp.Name + "\x00"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// configDiff lists the measured fields that differ between two
// configurations, as "path: old -> new" (at most 8).
func configDiff(old, now dskd.Config) []string {
	a, b := flatConfig(measuredConfig(old)), flatConfig(measuredConfig(now))
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		if a[k] != b[k] {
			diffs = append(diffs, fmt.Sprintf("%s: %s -> %s", k, orNone(a[k]), orNone(b[k])))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 8 {
		diffs = append(diffs[:8], fmt.Sprintf("and %d more", len(diffs)-8))
	}
	return diffs
}

func orNone(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// flatConfig maps each leaf of cfg's JSON form to its compact JSON value.
func flatConfig(cfg dskd.Config) map[string]string {
	out := map[string]string{}
	b, err := json.Marshal(cfg)
	if err != nil {
		return out
	}
	var tree any
	if decodeNumbers(b, &tree) != nil {
		return out
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
			return
		}
		j, _ := json.Marshal(v)
		out[prefix] = string(j)
	}
	walk("", tree)
	return out
}
