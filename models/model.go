package models

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// Tensor is dskd's handle to a libtorch tensor (see Output). A Tensor the
// library hands out is the caller's: free it with Free (or Output.Free).
type Tensor = aten.Tensor

// Model is what the trainer and the losses need from a segmentation
// backbone with hierarchical (deeply supervised) outputs.
type Model interface {
	// Forward maps a float [B, C, H, W] batch to logits; see Output.
	// train selects BatchNorm batch statistics (and their update).
	Forward(x *Tensor, train bool) (*Output, error)
	// VarStore holds every weight and every BatchNorm statistic, so that
	// VarStore Copy/Save/Load capture the whole model state.
	VarStore() *nn.VarStore
	// Depth is the number of hierarchical outputs (len(Output.Hierarchy)).
	Depth() int
	// Name identifies the architecture (e.g. "unet").
	Name() string
	// NumParameters counts trainable scalars.
	NumParameters() int64
	// Save writes the model state to a file; Load reads it back.
	Save(path string) error
	Load(path string) error
}

// Output holds the logits of one forward pass. All tensors are
// [B, 1, H, W] at the input's H x W.
//
// Hierarchy is ordered coarse to fine: [y_d, ..., y_2, y_main], len =
// Depth. Its last element IS Main (the same *Tensor, not a copy), so
// free an Output with Free, never by freeing Main and Hierarchy separately.
type Output struct {
	Main      *Tensor
	Hierarchy []*Tensor
}

// newOutput takes the hierarchical logits out of s into an Output.
func newOutput(s *aten.Scope, hier []*aten.Tensor) *Output {
	out := &Output{Hierarchy: make([]*Tensor, len(hier))}
	for i, h := range hier {
		out.Hierarchy[i] = s.Keep(h)
	}
	out.Main = out.Hierarchy[len(hier)-1]
	return out
}

// Free frees every tensor of the Output exactly once (Main aliases the
// last Hierarchy element) and clears the fields; calling it twice is safe.
func (o *Output) Free() {
	if o == nil {
		return
	}
	for _, t := range o.Hierarchy {
		t.Free()
	}
	o.Main.Free()
	o.Main, o.Hierarchy = nil, nil
}

// mapOutput applies op to every hierarchical output in a new Output.
func (o *Output) mapOutput(what string, op func(s *aten.Scope, t *aten.Tensor) *aten.Tensor) (*Output, error) {
	if o == nil || len(o.Hierarchy) == 0 {
		return nil, fmt.Errorf("models: %s on an empty Output", what)
	}
	s := aten.NewScope()
	defer s.Close()
	hier := make([]*aten.Tensor, len(o.Hierarchy))
	for i, t := range o.Hierarchy {
		hier[i] = op(s, t)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("models: %s: %w", what, err)
	}
	return newOutput(s, hier), nil
}

// MainProbs returns sigmoid(Main), a new tensor the caller frees.
func (o *Output) MainProbs() (*Tensor, error) {
	if o == nil || o.Main == nil {
		return nil, errors.New("models: MainProbs on an empty Output")
	}
	s := aten.NewScope()
	defer s.Close()
	return s.Result(s.Sigmoid(o.Main))
}

// Detach returns a new Output whose tensors are detached from the graph
// (sharing storage); the caller Frees it.
func (o *Output) Detach() (*Output, error) { return o.mapOutput("Detach", (*aten.Scope).Detach) }

// Float32 returns a new Output holding every tensor as float32 (the
// conversion is differentiable): what a loss reads after a mixed-precision
// forward pass. The caller Frees it.
func (o *Output) Float32() (*Output, error) {
	return o.mapOutput("Float32", func(s *aten.Scope, t *aten.Tensor) *aten.Tensor { return s.ToDType(t, gotch.Float) })
}

// checkInput validates a model input without touching libtorch's fatal paths.
func checkInput(x *Tensor, channels int, vs *nn.VarStore) error {
	if x == nil || x.Freed() {
		return errors.New("models: input is nil or freed")
	}
	if !x.Defined() {
		return errors.New("models: input tensor is undefined")
	}
	shape := x.Shape()
	if len(shape) != 4 {
		return fmt.Errorf("models: input shape %v: want rank 4 [B, %d, H, W]", shape, channels)
	}
	if shape[0] < 1 {
		return fmt.Errorf("models: input shape %v: empty batch", shape)
	}
	if shape[1] != int64(channels) {
		return fmt.Errorf("models: input shape %v: want %d channel(s) in dim 1", shape, channels)
	}
	if shape[2] < 1 || shape[3] < 1 {
		return fmt.Errorf("models: input shape %v: empty image", shape)
	}
	dt := x.DType()
	if !aten.IsFloat(dt) {
		return fmt.Errorf("models: input dtype %v: want a floating-point tensor", dt)
	}
	defer runtime.KeepAlive(vs)
	for _, v := range aten.Vars(vs) {
		if !v.Trainable {
			continue
		}
		if pdt := v.T.DType(); dt != pdt {
			return fmt.Errorf("models: input dtype %v differs from the model's %v (convert the input, or the VarStore with ToDType)", dt, pdt)
		}
		if dev, pdev := x.Device(), v.T.Device(); dev != pdev {
			return fmt.Errorf("models: input on %v, model on %v", engine.DeviceName(dev), engine.DeviceName(pdev))
		}
		break
	}
	return nil
}

func numParameters(vs *nn.VarStore) int64 {
	defer runtime.KeepAlive(vs)
	var n int64
	for _, v := range aten.Vars(vs) {
		if v.Trainable {
			n += v.T.Numel()
		}
	}
	return n
}

// SaveVarStore writes all variables of vs (weights and BN statistics) to
// path as a torch archive (gotch's VarStore format; torch.jit.load reads it).
func SaveVarStore(vs *nn.VarStore, path string) error {
	defer runtime.KeepAlive(vs)
	if err := aten.SaveStore(vs, path); err != nil {
		return fmt.Errorf("models: saving weights to %s: %w", path, err)
	}
	return nil
}

// LoadVarStore reads an archive written by SaveVarStore into vs. Unlike
// gotch's VarStore.Load it checks every name and shape before changing
// anything (a mismatched file leaves vs untouched) and restores the
// caller's grad mode. Call it on an engine Worker.
func LoadVarStore(vs *nn.VarStore, path string) error {
	s := aten.NewScope()
	defer s.Close()
	src := s.LoadNamed(path, vs.Device())
	if err := s.Err(); err != nil {
		return fmt.Errorf("models: loading weights from %s: %w", path, err)
	}
	if err := copyInto(vs, src); err != nil {
		return fmt.Errorf("models: loading weights from %s: %w", path, err)
	}
	return nil
}

// CopyVarStore copies every variable of src into dst (same names and
// shapes; e.g. a teacher snapshot of a student of the same architecture),
// checking everything before copying. Call it on an engine Worker.
func CopyVarStore(dst, src *nn.VarStore) error {
	m := map[string]*aten.Tensor{}
	for _, v := range aten.Vars(src) {
		m[v.Name] = v.T
	}
	err := copyInto(dst, m)
	runtime.KeepAlive(src)
	if err != nil {
		return fmt.Errorf("models: copying weights: %w", err)
	}
	return nil
}

func copyInto(dst *nn.VarStore, src map[string]*aten.Tensor) error {
	defer runtime.KeepAlive(dst)
	vars := aten.Vars(dst)
	for _, v := range vars {
		s, ok := src[v.Name]
		if !ok {
			return fmt.Errorf("variable %q missing in the source", v.Name)
		}
		if ds, ss := v.T.Shape(), s.Shape(); !reflect.DeepEqual(ds, ss) {
			return fmt.Errorf("variable %q: shape %v in the destination, %v in the source", v.Name, ds, ss)
		}
	}
	return engine.NoGrad(func() error {
		s := aten.NewScope()
		defer s.Close()
		for _, v := range vars {
			// copy_ casts dtype, moves devices and keeps the destination's
			// storage and strides (optimizer state and model fields point to it).
			s.CopyInPlace(v.T, src[v.Name])
		}
		return s.Err()
	})
}

// Input copies an NCHW float32 batch (row-major values) into a new tensor
// on device, ready for Forward. The caller frees it.
func Input(values []float32, shape []int64, device gotch.Device) (*Tensor, error) {
	s := aten.NewScope()
	defer s.Close()
	x := s.FromFloat32s(values, shape...)
	if device != gotch.CPU {
		x = s.ToDevice(x, device)
	}
	t, err := s.Result(x)
	if err != nil {
		return nil, fmt.Errorf("models: input %v: %w", shape, err)
	}
	return t, nil
}

// Values copies t's values (any float dtype, any device) into a float32
// slice in row-major order, e.g. to read an output.
func Values(t *Tensor) ([]float32, error) {
	s := aten.NewScope()
	defer s.Close()
	v := s.Float32s(t)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("models: reading values: %w", err)
	}
	return v, nil
}
