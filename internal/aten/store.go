package aten

import (
	"fmt"
	"sort"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"

	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// Parameters live in gotch's nn.VarStore (named variables, torch-archive
// save/load). These helpers are the only way the rest of dskd reaches the
// tensors inside one: as borrowed handles, valid while the VarStore is
// reachable (the model or optimizer holding it keeps it so).

// borrow returns a non-owning handle to a gotch tensor.
func borrow(t *ts.Tensor) *Tensor {
	return &Tensor{c: lib.Ctensor(t.Ctensor()), borrowed: true}
}

// AddVar stores a copy of t's handle in the VarStore under p/name, as a
// trainable parameter (requires grad) or a non-trainable buffer that is
// still saved (BatchNorm statistics), and returns a borrowed handle to the
// stored variable. t itself stays the caller's.
func AddVar(p *nn.Path, name string, t *Tensor, trainable bool) (*Tensor, error) {
	if t == nil || t.c == nil {
		return nil, fmt.Errorf("aten: variable %q: nil tensor", name)
	}
	tmp := ts.New(lib.AtShallowClone(t.c))
	var opts []nn.AddOpt
	if !trainable {
		opts = append(opts, nn.WithVarType("buffer"))
	}
	v, err := p.Add(name, tmp, trainable, opts...)
	dropErr := tmp.Drop()
	if err != nil {
		return nil, fmt.Errorf("aten: variable %q: %w", name, err)
	}
	if dropErr != nil {
		return nil, fmt.Errorf("aten: variable %q: %w", name, dropErr)
	}
	return borrow(v), nil
}

// Var is one variable of a VarStore.
type Var struct {
	Name string
	// T is a borrowed handle: never Free it.
	T *Tensor
	// Trainable: the variable requires grad (parameters, not buffers).
	Trainable bool
}

// Vars lists the variables of vs, sorted by name.
func Vars(vs *nn.VarStore) []Var {
	m := vs.Variables()
	out := make([]Var, 0, len(m))
	for name, t := range m {
		t := t
		b := borrow(&t)
		out = append(out, Var{Name: name, T: b, Trainable: b.RequiresGrad()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SaveNamed writes tensors to path as a torch archive (what
// torch.jit.load reads; gotch's VarStore format). names[i] names ts[i].
// The archive is built in memory and written from Go (atomicfile), so a
// full disk or an unwritable folder is an error naming the path, never
// an exception inside libtorch's zip writer (which aborts the process).
func SaveNamed(path string, names []string, tensors []*Tensor) error {
	b, err := SerializeNamed(names, tensors)
	if err != nil {
		return fmt.Errorf("aten: saving %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return fmt.Errorf("aten: saving %w", err)
	}
	return nil
}

// SerializeNamed is the torch archive SaveNamed writes, in memory.
func SerializeNamed(names []string, tensors []*Tensor) ([]byte, error) {
	if len(names) != len(tensors) || len(names) == 0 {
		return nil, fmt.Errorf("%d names for %d tensors", len(names), len(tensors))
	}
	hs := make([]lib.Ctensor, len(tensors))
	for i, t := range tensors {
		if t == nil || t.c == nil {
			return nil, fmt.Errorf("tensor %q is nil", names[i])
		}
		hs[i] = t.c
	}
	b := lib.DskdSaveNamedBytes(hs, names)
	if err := lastError("serialise"); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("serialising %d tensors gave no bytes", len(names))
	}
	return b, nil
}

// SaveStore writes every saved variable of vs (parameters and persistent
// buffers) to path; see SaveNamed.
func SaveStore(vs *nn.VarStore, path string) error {
	vars := Vars(vs)
	names := make([]string, len(vars))
	tensors := make([]*Tensor, len(vars))
	for i, v := range vars {
		names[i], tensors[i] = v.Name, v.T
	}
	return SaveNamed(path, names, tensors)
}

// LoadNamed reads a torch archive written by SaveNamed (or torch.jit.save
// of a module's parameters) onto device; the tensors belong to s.
func (s *Scope) LoadNamed(path string, device gotch.Device) map[string]*Tensor {
	if !s.ready("load") {
		return nil
	}
	var data lib.LoadData
	key := lib.PStore.Set(&data)
	lib.AtLoadCallbackWithDevice(path, key, device.CInt())
	lib.PStore.Free(key)
	tensors := make(map[string]*Tensor, len(data.NamedCtensors))
	for _, nc := range data.NamedCtensors {
		tensors[nc.Name] = s.track(nc.Ctensor)
	}
	if err := lastError("load " + path); err != nil {
		s.Fail(err)
		return nil
	}
	return tensors
}
