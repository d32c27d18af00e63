package interop

import (
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/models"
)

// The bridge between a live models.UNet and plain arrays (the tensor work
// is models.UNet.Weights and SetWeights, through internal/aten).

// FromUNet copies every variable of net (weights and BatchNorm running
// statistics, on any device and float dtype), in models.Describe's Params
// order, into a Model whose Meta has
// net's config and this binary's Version; set Normalize and Threshold as
// the model was trained. Call it on the engine Worker that owns net.
func FromUNet(net *models.UNet) (*Model, error) {
	arch, err := models.Describe(net.Config())
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	layout := arch.Params()
	values, err := net.Weights()
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	if len(values) != len(layout) {
		return nil, fmt.Errorf("interop: the UNet has %d variables, its config implies %d", len(values), len(layout))
	}
	byName := make(map[string]models.NamedValues, len(values))
	for _, v := range values {
		byName[v.Name] = v
	}
	m := &Model{Meta: Metadata{Config: net.Config(), Version: Version()}}
	for _, p := range layout {
		v, ok := byName[p.Name]
		if !ok {
			return nil, fmt.Errorf("interop: the UNet has no variable %q", p.Name)
		}
		if !sameShape(v.Shape, p.Shape) {
			return nil, fmt.Errorf("interop: variable %q has shape %v, want %v", p.Name, v.Shape, p.Shape)
		}
		m.Arrays = append(m.Arrays, Array{Name: p.Name, Shape: p.Shape, Data: v.Data})
	}
	return m, nil
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
	return setArrays(net, arrays)
}

// setArrays copies arrays, already checked against net's config, into net.
func setArrays(net *models.UNet, arrays []Array) error {
	values := make([]models.NamedValues, len(arrays))
	for i, a := range arrays {
		values[i] = models.NamedValues{Name: a.Name, Shape: a.Shape, Data: a.Data}
	}
	if err := net.SetWeights(values); err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	return nil
}

// NewUNet builds a models.UNet on device from m's config and weights
// (checked once, by Validate). Call it on an engine Worker (the UNet
// belongs to that Worker's thread).
func NewUNet(m *Model, device gotch.Device) (*models.UNet, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	net, err := models.New(m.Meta.Config, device)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	if err := setArrays(net, m.Arrays); err != nil {
		net.VarStore().Destroy()
		return nil, err
	}
	return net, nil
}
