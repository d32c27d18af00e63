package optim

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/angioseg/dskd/internal/aten"
)

// stateName names a state tensor in the file. gotch writes "." in names as
// "|" (torch archives read dots as nesting) and turns them back on loading.
func stateName(kind, param string) string { return kind + "." + param }

const stepsName = "steps"

// Save writes the optimizer state (moments or momentum buffers and the step
// count) to path as a torch archive.
func (o *Optimizer) Save(path string) error {
	s := aten.NewScope()
	defer s.Close()
	names := []string{stepsName}
	tensors := []*aten.Tensor{s.FromInt64s([]int64{o.steps}, 1)}
	for _, pr := range o.params {
		if pr.m != nil {
			names, tensors = append(names, stateName("m", pr.name)), append(tensors, pr.m)
		}
		if pr.v != nil {
			names, tensors = append(names, stateName("v", pr.name)), append(tensors, pr.v)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("optim: saving %s: %w", path, err)
	}
	if err := aten.SaveNamed(path, names, tensors); err != nil {
		return fmt.Errorf("optim: saving %s: %w", path, err)
	}
	return nil
}

// Load restores state written by Save for a model of the same architecture.
// A state that names a variable this optimizer does not have, or misses one
// it has moments for, is an error naming it; on error the optimizer is left
// as it was.
func (o *Optimizer) Load(path string) error {
	s := aten.NewScope()
	defer s.Close()
	byName := s.LoadNamed(path, o.params[0].p.Device())
	if err := s.Err(); err != nil {
		return fmt.Errorf("optim: loading %s: %w", path, err)
	}
	for k, t := range byName { // older gotch versions kept the "|"
		if n := strings.ReplaceAll(k, "|", "."); n != k {
			byName[n] = t
			delete(byName, k)
		}
	}
	st, ok := byName[stepsName]
	if !ok {
		return fmt.Errorf("optim: %s: no %q entry (not an optimizer state file?)", path, stepsName)
	}
	steps := s.Int64s(st)
	if err := s.Err(); err != nil || len(steps) != 1 {
		return fmt.Errorf("optim: %s: reading the step count: %v", path, err)
	}
	delete(byName, stepsName)
	type loaded struct{ m, v *aten.Tensor }
	state := make([]loaded, len(o.params))
	for i, pr := range o.params {
		for _, kind := range []string{"m", "v"} {
			t, ok := byName[stateName(kind, pr.name)]
			if !ok {
				continue
			}
			delete(byName, stateName(kind, pr.name))
			if !reflect.DeepEqual(t.Shape(), pr.p.Shape()) {
				return fmt.Errorf("optim: %s: state %s of %s has shape %v, the variable %v", path, kind, pr.name, t.Shape(), pr.p.Shape())
			}
			if kind == "m" {
				state[i].m = t
			} else {
				state[i].v = t
			}
		}
		if o.cfg.Name == AdamW && steps[0] > 0 && (state[i].m == nil) != (state[i].v == nil) {
			return fmt.Errorf("optim: %s: %s has only one of the two AdamW moments", path, pr.name)
		}
	}
	for n := range byName {
		return fmt.Errorf("optim: %s: state %q matches no trainable variable of this model", path, n)
	}
	o.Free()
	for i, pr := range o.params {
		pr.m, pr.v = s.Keep(state[i].m), s.Keep(state[i].v)
	}
	o.steps = steps[0]
	return nil
}
