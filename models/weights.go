package models

import (
	"fmt"
	"reflect"
	"runtime"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// NamedValues is one variable of a model as plain Go data: its VarStore
// name, shape and row-major float32 values.
type NamedValues struct {
	Name  string
	Shape []int64
	Data  []float32
}

// Weights copies every variable of m (weights and BatchNorm statistics, on
// any device and float dtype) into Go slices, in name order. Call it on
// the engine Worker that owns m.
func (m *UNet) Weights() ([]NamedValues, error) {
	defer runtime.KeepAlive(m)
	s := aten.NewScope()
	defer s.Close()
	var out []NamedValues
	for _, v := range aten.Vars(m.vs) {
		out = append(out, NamedValues{Name: v.Name, Shape: v.T.Shape(), Data: s.Float32s(v.T)})
		if err := s.Err(); err != nil {
			return nil, fmt.Errorf("models: reading variable %q: %w", v.Name, err)
		}
	}
	return out, nil
}

// SetWeights copies values into m's variables of the same names. Every
// variable must be given exactly once with its shape; this is checked
// before anything changes. Each variable keeps its device, dtype, memory
// format and storage (the optimizer and the model point to it). Call it
// on the engine Worker that owns m.
func (m *UNet) SetWeights(values []NamedValues) error {
	defer runtime.KeepAlive(m)
	vars := aten.Vars(m.vs)
	byName := make(map[string]NamedValues, len(values))
	for _, v := range values {
		if _, dup := byName[v.Name]; dup {
			return fmt.Errorf("models: weights name %q twice", v.Name)
		}
		byName[v.Name] = v
	}
	if len(byName) != len(vars) {
		return fmt.Errorf("models: %d weights for a model with %d variables", len(byName), len(vars))
	}
	for _, v := range vars {
		w, ok := byName[v.Name]
		switch {
		case !ok:
			return fmt.Errorf("models: no weights for variable %q", v.Name)
		case !reflect.DeepEqual(w.Shape, v.T.Shape()):
			return fmt.Errorf("models: weights %q have shape %v, the variable %v", v.Name, w.Shape, v.T.Shape())
		}
	}
	return engine.NoGrad(func() error {
		for _, v := range vars {
			s := aten.NewScope() // one per variable: the copy's source goes at once
			w := byName[v.Name]
			s.CopyInPlace(v.T, s.FromFloat32s(w.Data, w.Shape...))
			err := s.Err()
			s.Close()
			if err != nil {
				return fmt.Errorf("models: setting variable %q: %w", v.Name, err)
			}
		}
		return nil
	})
}
