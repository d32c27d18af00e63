package study

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/angioseg/dskd/dskd"

	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/losses"
)

// Data set layouts a study (and its cross-domain evaluation) can open.
const (
	LayoutDCA1   = "dca1"   // N.pgm / N_gt.pgm; a study uses ids 1-100 only
	LayoutXCAD   = "xcad"   // test/images + test/masks (the labelled images)
	LayoutFolder = "folder" // images/ + masks/
)

// SpecFile is the spec's file in a study folder.
const SpecFile = "study.json"

// Study defaults.
const (
	DefaultFolds         = 5
	DefaultSplitSeed     = 42
	DefaultBootstrap     = 10000
	DefaultBootstrapSeed = 1
)

// Spec is a grid of training runs, presets × override values × folds
// × seeds, evaluated with k-fold cross-validation over a data set's
// training ids. It is saved in the study folder (study.json), so that the
// folder alone resumes and reports. Zero fields mean their defaults.
type Spec struct {
	Layout string `json:"layout"` // LayoutDCA1, LayoutXCAD or LayoutFolder; required
	Data   string `json:"data"`   // the data set's folder; required

	Folds     int   `json:"folds,omitempty"`      // k of the k-fold split; default 5
	FoldIDs   []int `json:"fold_ids,omitempty"`   // folds to train (0-based); default all k
	SplitSeed int64 `json:"split_seed,omitempty"` // seeds the fold partition and the inner validation carve; default 42

	Seeds   []int64  `json:"seeds,omitempty"`   // training seeds (dskd.Config.Seed); default [42]
	Presets []string `json:"presets,omitempty"` // default: the config's preset ("dskd"), unless Arms are given
	// Arms are named arms beside the presets': a preset with settings of
	// its own, one value each (a variant beside plain presets in one
	// study, compared on the same folds and seeds). Multi-valued Sets
	// multiply them too; their runs lie in runs/NAME/.
	Arms []Arm `json:"arms,omitempty"`
	// Config is the base configuration of every run. The study sets its
	// Preset, Seed, OutDir, Threads and Workers.
	Config dskd.Config `json:"config"`
	Sets   []Override  `json:"sets,omitempty"` // several multiply; one-valued ones change every arm

	// Baseline is the arm the others are compared with (same fold and
	// seed): an arm name, or a preset, meaning the arm of that preset with
	// the same override values. Default "unet" when that preset is in the
	// grid, else none.
	Baseline      string `json:"baseline,omitempty"`
	Bootstrap     int    `json:"bootstrap,omitempty"`      // resamples of the paired intervals; default 10000
	BootstrapSeed int64  `json:"bootstrap_seed,omitempty"` // default 1

	// Ensembles also scores, for each arm and fold, the seed ensemble: the
	// mean probability of the best models of all its seeds (two or more),
	// on the held-out fold, as soon as the last of those runs finishes, or
	// at the start of a call that finds it missing (EnsembleRow).
	Ensembles bool `json:"ensembles,omitempty"`
	// ScoreLast also scores each finished run's last-epoch model on its
	// held-out fold (Row.Last), threshold picked again on the validation
	// carve when the run picks its own: what selecting the best epoch on
	// validation gained or cost, per arm, with a paired interval.
	ScoreLast bool `json:"score_last,omitempty"`

	// CrossLayout and CrossData name a second data set: every finished
	// run's best model is also scored on all its labelled images.
	CrossLayout string `json:"cross_layout,omitempty"`
	CrossData   string `json:"cross_data,omitempty"`
}

// WithDefaults returns s with zero fields set to their defaults, validated.
func (s Spec) WithDefaults() (Spec, error) {
	if s.Folds == 0 {
		s.Folds = DefaultFolds
	}
	if s.SplitSeed == 0 {
		s.SplitSeed = DefaultSplitSeed
	}
	if s.Bootstrap == 0 {
		s.Bootstrap = DefaultBootstrap
	}
	if s.BootstrapSeed == 0 {
		s.BootstrapSeed = DefaultBootstrapSeed
	}
	if len(s.FoldIDs) == 0 {
		for f := range max(s.Folds, 0) {
			s.FoldIDs = append(s.FoldIDs, f)
		}
	}
	if len(s.Seeds) == 0 {
		s.Seeds = []int64{42}
	}
	if len(s.Presets) == 0 && len(s.Arms) == 0 {
		p := s.Config.Loss.Preset
		if p == "" {
			p = losses.PresetDSKD
		}
		s.Presets = []string{string(p)}
	}
	if s.Baseline == "" && slices.Contains(s.Presets, string(losses.PresetUNet)) && len(s.Presets) > 1 {
		s.Baseline = string(losses.PresetUNet)
	}
	return s, s.validate()
}

func (s Spec) validate() error {
	if err := checkLayout(s.Layout, s.Data, "layout", "data"); err != nil {
		return err
	}
	if (s.CrossLayout == "") != (s.CrossData == "") {
		return errors.New("study: cross_layout and cross_data go together")
	}
	if s.CrossLayout != "" {
		if err := checkLayout(s.CrossLayout, s.CrossData, "cross_layout", "cross_data"); err != nil {
			return err
		}
	}
	if s.Folds < 2 {
		return fmt.Errorf("study: folds %d: must be >= 2", s.Folds)
	}
	if s.Bootstrap < 100 {
		return fmt.Errorf("study: bootstrap %d: must be >= 100 resamples", s.Bootstrap)
	}
	if err := unique("fold_ids", s.FoldIDs); err != nil {
		return err
	}
	for _, f := range s.FoldIDs {
		if f < 0 || f >= s.Folds {
			return fmt.Errorf("study: fold %d outside 0..%d", f, s.Folds-1)
		}
	}
	seeds := make([]int64, len(s.Seeds))
	for i, v := range s.Seeds {
		seeds[i] = v
		if v == 0 {
			seeds[i] = 42 // what dskd.Config makes of 0
		}
	}
	if err := unique("seeds", seeds); err != nil {
		return err
	}
	if s.Ensembles && len(seeds) < 2 {
		return fmt.Errorf("study: ensembles: a seed ensemble needs two seeds or more, the study has %d", len(seeds))
	}
	if err := unique("presets", s.Presets); err != nil {
		return err
	}
	for _, p := range s.Presets {
		if err := option.OneOf("study", "presets", losses.Preset(p), losses.Presets()...); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for _, p := range s.Presets {
		names[p] = true
	}
	for _, a := range s.Arms {
		if err := a.validate(); err != nil {
			return err
		}
		if names[a.Name] {
			return fmt.Errorf("study: arm %q given twice (as a preset or an arm)", a.Name)
		}
		names[a.Name] = true
	}
	paths := map[string]bool{}
	for _, o := range s.Sets {
		if err := o.validate(); err != nil {
			return err
		}
		if paths[o.Path] {
			return fmt.Errorf("study: override %q given twice", o.Path)
		}
		paths[o.Path] = true
	}
	return nil
}

// Arm is a named arm of a study: a preset and settings of its own.
type Arm struct {
	Name   string     `json:"name"`
	Preset string     `json:"preset"`
	Sets   []Override `json:"sets,omitempty"` // one value each
}

func (a Arm) validate() error {
	if a.Name == "" || strings.ContainsAny(a.Name, "+/ ") {
		return fmt.Errorf("study: arm name %q: want a non-empty name without '+', '/' or spaces", a.Name)
	}
	if err := option.OneOf("study", "arms."+a.Name+".preset", losses.Preset(a.Preset), losses.Presets()...); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, o := range a.Sets {
		if err := o.validate(); err != nil {
			return fmt.Errorf("study: arm %s: %w", a.Name, err)
		}
		if len(o.Values) != 1 {
			return fmt.Errorf("study: arm %s: %s has %d values: an arm's setting takes one (use --set to multiply)", a.Name, o.Path, len(o.Values))
		}
		if seen[o.Path] {
			return fmt.Errorf("study: arm %s: %s given twice", a.Name, o.Path)
		}
		seen[o.Path] = true
	}
	return nil
}

// ParseArm parses "NAME=PRESET;PATH=VALUE;PATH=VALUE" (the settings as
// for ParseOverride, one value each).
func ParseArm(s string) (Arm, error) {
	parts := strings.Split(s, ";")
	name, preset, ok := strings.Cut(parts[0], "=")
	if !ok {
		return Arm{}, fmt.Errorf("study: arm %q: want NAME=PRESET;PATH=VALUE;...", s)
	}
	a := Arm{Name: strings.TrimSpace(name), Preset: strings.TrimSpace(preset)}
	for _, p := range parts[1:] {
		if strings.TrimSpace(p) == "" {
			continue
		}
		o, err := ParseOverride(p)
		if err != nil {
			return Arm{}, fmt.Errorf("study: arm %s: %w", a.Name, err)
		}
		a.Sets = append(a.Sets, o)
	}
	return a, a.validate()
}

func checkLayout(layout, dir, layoutField, dirField string) error {
	switch layout {
	case LayoutDCA1, LayoutXCAD, LayoutFolder:
	default:
		return fmt.Errorf("study: %s %q: want %s, %s or %s", layoutField, layout, LayoutDCA1, LayoutXCAD, LayoutFolder)
	}
	if dir == "" {
		return fmt.Errorf("study: %s (the data set's folder) is required", dirField)
	}
	return nil
}

func unique[T comparable](what string, xs []T) error {
	seen := map[T]bool{}
	for _, x := range xs {
		if seen[x] {
			return fmt.Errorf("study: %s: %v given twice", what, x)
		}
		seen[x] = true
	}
	return nil
}

// LoadSpec reads the spec saved in a study folder. An unknown field is an
// error naming its path and the file (`study: D/study.json: unknown field
// "config.model.bsae" (did you mean "base"?)`).
func LoadSpec(dir string) (Spec, error) {
	var s Spec
	path := filepath.Join(dir, SpecFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("study: %w", err)
	}
	err = option.CheckFields(b, reflect.TypeFor[Spec]())
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = option.DecodeError(dec.Decode(&s))
	}
	if err != nil {
		return Spec{}, fmt.Errorf("study: %s: %w", path, err)
	}
	return s, nil
}
