package models

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sort"

	"github.com/angioseg/dskd/engine"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// Model is what the trainer and the losses need from a segmentation
// backbone with hierarchical (deeply supervised) outputs.
type Model interface {
	// Forward maps a float [B, C, H, W] batch to logits; see Output.
	// train selects BatchNorm batch statistics (and their update).
	Forward(x *ts.Tensor, train bool) (*Output, error)
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
// Depth. Its last element IS Main (the same *ts.Tensor, not a copy), so
// free an Output with Drop, never by dropping Main and Hierarchy separately.
type Output struct {
	Main      *ts.Tensor
	Hierarchy []*ts.Tensor
}

// Drop frees every tensor of the Output exactly once (Main aliases the
// last Hierarchy element) and clears the fields; calling it twice is safe.
func (o *Output) Drop() {
	if o == nil {
		return
	}
	seen := map[*ts.Tensor]bool{}
	for _, t := range append(o.Hierarchy, o.Main) {
		if t != nil && !seen[t] {
			seen[t] = true
			t.MustDrop()
		}
	}
	o.Main, o.Hierarchy = nil, nil
}

// MainProbs returns sigmoid(Main), a new tensor the caller frees.
func (o *Output) MainProbs() (*ts.Tensor, error) {
	if o == nil || o.Main == nil {
		return nil, errors.New("models: MainProbs on an empty Output")
	}
	return o.Main.Sigmoid(false)
}

// Probs returns sigmoid of every hierarchical output (coarse to fine), new
// tensors the caller frees.
func (o *Output) Probs() ([]*ts.Tensor, error) {
	if o == nil || len(o.Hierarchy) == 0 {
		return nil, errors.New("models: Probs on an empty Output")
	}
	out := make([]*ts.Tensor, 0, len(o.Hierarchy))
	for _, t := range o.Hierarchy {
		p, err := t.Sigmoid(false)
		if err != nil {
			dropAll(out)
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Detach returns a new Output whose tensors are detached from the graph
// (sharing storage); the caller Drops it. Main aliases the last element as
// in the original.
func (o *Output) Detach() (*Output, error) {
	if o == nil || len(o.Hierarchy) == 0 {
		return nil, errors.New("models: Detach on an empty Output")
	}
	out := &Output{}
	for _, t := range o.Hierarchy {
		d, err := t.Detach(false)
		if err != nil {
			out.Drop()
			return nil, err
		}
		out.Hierarchy = append(out.Hierarchy, d)
	}
	out.Main = out.Hierarchy[len(out.Hierarchy)-1]
	return out, nil
}

func isFloat(d gotch.DType) bool {
	return d == gotch.Float || d == gotch.Double || d == gotch.Half || d == gotch.BFloat16
}

// paramInfo returns the dtype and device of any trainable variable.
func paramInfo(vs *nn.VarStore) (gotch.DType, gotch.Device, bool) {
	for _, t := range vs.TrainableVariables() {
		dev, err := t.Device()
		if err != nil {
			continue
		}
		return t.DType(), dev, true
	}
	return gotch.Float, vs.Device(), false
}

// checkInput validates a model input without touching libtorch's fatal paths.
func checkInput(x *ts.Tensor, channels int, vs *nn.VarStore) error {
	if x == nil {
		return errors.New("models: input is nil")
	}
	if ok, err := x.Defined(); err != nil || !ok {
		return errors.New("models: input tensor is undefined")
	}
	shape, err := x.Size()
	if err != nil {
		return fmt.Errorf("models: input size: %w", err)
	}
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
	if !isFloat(dt) {
		return fmt.Errorf("models: input dtype %v: want a floating-point tensor", dt)
	}
	pdt, pdev, ok := paramInfo(vs)
	if ok && dt != pdt {
		return fmt.Errorf("models: input dtype %v differs from the model's %v (convert the input, or the VarStore with ToDType)", dt, pdt)
	}
	dev, err := x.Device()
	if err != nil {
		return fmt.Errorf("models: input device: %w", err)
	}
	if ok && dev != pdev {
		return fmt.Errorf("models: input on %v, model on %v", engine.DeviceName(dev), engine.DeviceName(pdev))
	}
	return nil
}

func numParameters(vs *nn.VarStore) int64 {
	var n int64
	for _, t := range vs.TrainableVariables() {
		n += int64(t.Numel())
	}
	return n
}

// SaveVarStore writes all variables of vs (weights and BN statistics) to
// path as a torch archive (gotch's VarStore.Save format).
func SaveVarStore(vs *nn.VarStore, path string) error {
	if err := vs.Save(path); err != nil {
		return fmt.Errorf("models: saving weights to %s: %w", path, err)
	}
	return nil
}

// LoadVarStore reads an archive written by SaveVarStore into vs. Unlike
// gotch's VarStore.Load it checks every name and shape before changing
// anything (a mismatched file leaves vs untouched) and restores the
// caller's grad mode. Call it on an engine Worker.
func LoadVarStore(vs *nn.VarStore, path string) error {
	named, err := ts.LoadMultiWithDevice(path, vs.Device())
	if err != nil {
		return fmt.Errorf("models: loading weights from %s: %w", path, err)
	}
	src := make(map[string]*ts.Tensor, len(named))
	for _, nt := range named {
		src[nt.Name] = nt.Tensor
	}
	defer func() {
		for _, nt := range named {
			nt.Tensor.MustDrop()
		}
	}()
	if err := copyInto(vs, src); err != nil {
		return fmt.Errorf("models: loading weights from %s: %w", path, err)
	}
	return nil
}

// CopyVarStore copies every variable of src into dst (same names and
// shapes; e.g. a teacher snapshot of a student of the same architecture).
// It is gotch's VarStore.Copy, but checks everything before copying and
// restores the caller's grad mode (gotch's turns gradients on). Call it on
// an engine Worker.
func CopyVarStore(dst, src *nn.VarStore) error {
	vars := src.Variables()
	m := make(map[string]*ts.Tensor, len(vars))
	for k := range vars {
		t := vars[k]
		m[k] = &t
	}
	err := copyInto(dst, m)
	// Variables returns struct copies that share the C tensors but not
	// their finalizers: keep the stores (and so their tensors) alive.
	runtime.KeepAlive(src)
	if err != nil {
		return fmt.Errorf("models: copying weights: %w", err)
	}
	return nil
}

func copyInto(dst *nn.VarStore, src map[string]*ts.Tensor) error {
	defer runtime.KeepAlive(dst)
	dvars := dst.Variables()
	names := make([]string, 0, len(dvars))
	for k := range dvars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s, ok := src[k]
		if !ok {
			return fmt.Errorf("variable %q missing in the source", k)
		}
		d := dvars[k]
		ds, err1 := d.Size()
		ss, err2 := s.Size()
		if err1 != nil || err2 != nil || !reflect.DeepEqual(ds, ss) {
			return fmt.Errorf("variable %q: shape %v in the destination, %v in the source", k, ds, ss)
		}
	}
	return engine.NoGrad(func() error {
		dev := dst.Device()
		for _, k := range names {
			d := dvars[k]
			s, err := src[k].To(dev, false)
			if err != nil {
				return err
			}
			// Copy_ casts dtype and keeps d's storage (optimizer state
			// and model fields point to it).
			d.Copy_(s)
			s.MustDrop()
		}
		return nil
	})
}
