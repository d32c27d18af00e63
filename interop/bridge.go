package interop

// ---------------------------------------------------------------------------
// THE TENSOR BRIDGE. This file is the only one of package interop that
// touches libtorch (through gotch, with error-returning calls only): it
// copies a live models.UNet's VarStore to plain []Array and back. Everything
// else in the package is pure Go. To be ported to internal/aten.
// ---------------------------------------------------------------------------

import (
	"fmt"
	"runtime"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/models"
)

// FromUNet copies every variable of net (weights and BatchNorm running
// statistics, on any device and float dtype) into a Model whose Meta has
// net's config and this binary's Version; set Normalize and Threshold as
// the model was trained. Call it on the engine Worker that owns net.
func FromUNet(net *models.UNet) (*Model, error) {
	layout, err := Layout(net.Config())
	if err != nil {
		return nil, err
	}
	vs := net.VarStore()
	defer runtime.KeepAlive(vs) // Variables' copies share the store's tensors
	vars := vs.Variables()
	if len(vars) != len(layout) {
		return nil, fmt.Errorf("interop: the UNet has %d variables, its config implies %d", len(vars), len(layout))
	}
	m := &Model{Meta: Metadata{Config: net.Config(), Version: Version()}}
	for _, p := range layout {
		t, ok := vars[p.Name]
		if !ok {
			return nil, fmt.Errorf("interop: the UNet has no variable %q", p.Name)
		}
		data, err := tensorFloats(&t, p.Shape)
		if err != nil {
			return nil, fmt.Errorf("interop: reading variable %q: %w", p.Name, err)
		}
		m.Arrays = append(m.Arrays, Array{Name: p.Name, Shape: p.Shape, Data: data})
	}
	return m, nil
}

// tensorFloats copies t, which must have the given shape, to float32s.
func tensorFloats(t *ts.Tensor, shape []int64) ([]float32, error) {
	size, err := t.Size()
	if err != nil {
		return nil, err
	}
	if !sameShape(size, shape) {
		return nil, fmt.Errorf("shape %v, want %v", size, shape)
	}
	cpu, err := t.To(gotch.CPU, false)
	if err != nil {
		return nil, err
	}
	defer cpu.Drop()
	f32 := cpu
	if cpu.DType() != gotch.Float {
		if f32, err = cpu.Totype(gotch.Float, false); err != nil {
			return nil, err
		}
		defer f32.Drop()
	}
	flat, err := f32.Contiguous(false)
	if err != nil {
		return nil, err
	}
	defer flat.Drop()
	n, _ := numel(shape)
	out := make([]float32, n)
	if err := flat.CopyData(out, uint(n)); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadArrays copies arrays into net's variables. The names and shapes are
// checked against net's config first (CheckLayout: every variable present,
// no extra array); on an error nothing is changed. Each variable keeps its
// device, dtype and storage (optimizer state and the model point to it).
// Call it on the engine Worker that owns net.
func LoadArrays(net *models.UNet, arrays []Array) error {
	if err := CheckLayout(net.Config(), arrays); err != nil {
		return err
	}
	vs := net.VarStore()
	defer runtime.KeepAlive(vs)
	vars := vs.Variables()
	for _, a := range arrays {
		t, ok := vars[a.Name]
		if !ok {
			return fmt.Errorf("interop: the UNet has no variable %q", a.Name)
		}
		size, err := t.Size()
		if err != nil || !sameShape(size, a.Shape) {
			return fmt.Errorf("interop: variable %q has shape %v, the array %v", a.Name, size, a.Shape)
		}
	}
	return engine.NoGrad(func() error {
		for _, a := range arrays {
			dst := vars[a.Name]
			src, err := ts.OfSlice(a.Data)
			if err == nil {
				src, err = src.View(a.Shape, true)
			}
			if err == nil && vs.Device() != gotch.CPU {
				src, err = src.To(vs.Device(), true)
			}
			if err != nil {
				return fmt.Errorf("interop: loading variable %q: %w", a.Name, err)
			}
			// Copy_ casts to dst's dtype; names and shapes are checked above,
			// so its fatal error path is not reachable from user input.
			dst.Copy_(src)
			if err := src.Drop(); err != nil {
				return fmt.Errorf("interop: loading variable %q: %w", a.Name, err)
			}
		}
		return nil
	})
}

// NewUNet builds a models.UNet on device from m's config and weights. Call
// it on an engine Worker (the UNet belongs to that Worker's thread).
func NewUNet(m *Model, device gotch.Device) (*models.UNet, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	net, err := models.New(m.Meta.Config, device)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	if err := LoadArrays(net, m.Arrays); err != nil {
		net.VarStore().Destroy()
		return nil, err
	}
	return net, nil
}
