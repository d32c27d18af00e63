package optim

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// stateName names a state tensor in the file. gotch writes "." in names as
// "|" (torch archives read dots as nesting) and turns them back on loading.
func stateName(kind, param string) string { return kind + "." + param }

const stepsName = "steps"

// Save writes the optimizer state (moments or momentum buffers and the step
// count) to path as a torch archive.
func (o *Optimizer) Save(path string) error {
	steps, err := ts.OfSlice([]int64{o.steps})
	if err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	defer steps.MustDrop()
	named := []ts.NamedTensor{{Name: stepsName, Tensor: steps}}
	for _, pr := range o.params {
		if pr.m != nil {
			named = append(named, ts.NamedTensor{Name: stateName("m", pr.name), Tensor: pr.m})
		}
		if pr.v != nil {
			named = append(named, ts.NamedTensor{Name: stateName("v", pr.name), Tensor: pr.v})
		}
	}
	if err := ts.SaveMultiNew(named, path); err != nil {
		return fmt.Errorf("optim: saving %s: %w", path, err)
	}
	return nil
}

// Load restores state written by Save for a model of the same architecture.
// A state that names a variable this optimizer does not have, or misses one
// it has moments for, is an error naming it.
func (o *Optimizer) Load(path string) error {
	named, err := ts.LoadMultiWithDevice(path, o.device())
	if err != nil {
		return fmt.Errorf("optim: loading %s: %w", path, err)
	}
	byName := map[string]*ts.Tensor{}
	for _, nt := range named {
		byName[strings.ReplaceAll(nt.Name, "|", ".")] = nt.Tensor
	}
	st, ok := byName[stepsName]
	if !ok {
		return fmt.Errorf("optim: %s: no %q entry (not an optimizer state file?)", path, stepsName)
	}
	steps := st.Int64Values()[0]
	st.MustDrop()
	delete(byName, stepsName)
	o.Drop()
	for _, pr := range o.params {
		for _, kind := range []string{"m", "v"} {
			t, ok := byName[stateName(kind, pr.name)]
			if !ok {
				continue
			}
			delete(byName, stateName(kind, pr.name))
			if !equalShape(t.MustSize(), pr.p.MustSize()) {
				return fmt.Errorf("optim: %s: state %s of %s has shape %v, the variable %v", path, kind, pr.name, t.MustSize(), pr.p.MustSize())
			}
			if kind == "m" {
				pr.m = t
			} else {
				pr.v = t
			}
		}
		if o.cfg.Name == "adamw" && steps > 0 && (pr.m == nil) != (pr.v == nil) {
			return fmt.Errorf("optim: %s: %s has only one of the two AdamW moments", path, pr.name)
		}
	}
	for n, t := range byName {
		t.MustDrop()
		return fmt.Errorf("optim: %s: state %q matches no trainable variable of this model", path, n)
	}
	o.steps = steps
	return nil
}

func (o *Optimizer) device() gotch.Device { return o.params[0].p.MustDevice() }

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
