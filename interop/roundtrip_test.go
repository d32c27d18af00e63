package interop

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/models"
)

// The layout computed in pure Go is exactly the VarStore of a live UNet.
func TestLayoutMatchesVarStore(t *testing.T) {
	onWorker(t, func() {
		for _, cfg := range []models.UNetConfig{{Depth: 4, Base: 2}, {Depth: 2, Base: 3, InChannels: 2, Upsample: models.UpsampleTranspose}} {
			net, err := models.New(cfg, gotch.CPU)
			require.NoError(t, err)
			layout := layoutOf(t, cfg)
			vars := net.VarStore().Variables()
			require.Len(t, layout, len(vars))
			for _, p := range layout {
				v, ok := vars[p.Name]
				require.True(t, ok, p.Name)
				size, err := v.Size()
				require.NoError(t, err)
				assert.Equal(t, p.Shape, size, p.Name)
			}
		}
	})
	// Hand-counted: depth 4 = 5 encoder stages of 10 variables, 4 decoder
	// stages of 12 (+2 for the 3 side heads), head 2.
	layout := layoutOf(t, models.UNetConfig{})
	assert.Len(t, layout, 5*10+4*12+3*2+2)
	assert.Equal(t, models.Param{Name: "enc0.conv1.weight", Shape: []int64{32, 1, 3, 3}, Role: models.RoleWeight}, layout[0])
	assert.Equal(t, models.Param{Name: "head.weight", Shape: []int64{1, 32, 1, 1}, Role: models.RoleWeight}, layout[len(layout)-2])
}

// dskd -> file -> dskd gives bit-identical variables, through both
// weight formats, and the reloaded network computes the same logits.
func TestRoundTripBitExact(t *testing.T) {
	dir := t.TempDir()
	cfg := models.UNetConfig{Depth: 3, Base: 4}
	x := randomImages(3, 1, 1, 40, 24)
	onWorker(t, func() {
		net := newTestUNet(t, cfg, 11)
		orig, err := FromUNet(net)
		require.NoError(t, err)
		orig.Meta.Normalize, orig.Meta.Threshold = NormMinMax, 0.4
		want := forwardLogits(t, net, x)
		for _, f := range []Format{Safetensors, PT} {
			path := filepath.Join(dir, "model."+string(f))
			require.NoError(t, WriteFile(path, orig, f, ONNXOptions{}))
			back, err := ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, models.UNetConfig{Depth: 3, Base: 4, InChannels: 1, Upsample: "bilinear", BNMomentum: 0.1, BNEps: 1e-5}, back.Meta.Config)
			assert.Equal(t, NormMinMax, back.Meta.Normalize)
			assert.Equal(t, 0.4, back.Meta.Threshold)
			assert.Equal(t, Version(), back.Meta.Version)
			require.Len(t, back.Arrays, len(orig.Arrays))
			for i := range orig.Arrays {
				assert.True(t, orig.Arrays[i].Equal(back.Arrays[i]), "%s: %s differs", f, orig.Arrays[i].Name)
			}
			net2, err := NewUNet(back, gotch.CPU)
			require.NoError(t, err)
			again, err := FromUNet(net2)
			require.NoError(t, err)
			for i := range orig.Arrays {
				assert.True(t, orig.Arrays[i].Equal(again.Arrays[i]), "%s: %s differs after loading into a UNet", f, orig.Arrays[i].Name)
			}
			got := forwardLogits(t, net2, x)
			for i := range want {
				assert.Equal(t, want[i], got[i], "%s: output %d", f, i)
			}
		}
	})
}

func TestLoadArraysRejectsMismatches(t *testing.T) {
	onWorker(t, func() {
		net := newTestUNet(t, models.UNetConfig{Depth: 2, Base: 2}, 1)
		m, err := FromUNet(net)
		require.NoError(t, err)
		before := m.Arrays[0].Data[0]

		wrongShape := append([]Array(nil), m.Arrays...)
		wrongShape[0] = Array{Name: "enc0.conv1.weight", Shape: []int64{2, 1, 1, 9}, Data: make([]float32, 18)}
		err = LoadArrays(net, wrongShape)
		require.ErrorContains(t, err, "enc0.conv1.weight has shape [2 1 1 9], want [2 1 3 3]")

		missing := m.Arrays[1:]
		require.ErrorContains(t, LoadArrays(net, missing), "missing enc0.conv1.weight [2 1 3 3]")

		extra := append(append([]Array(nil), m.Arrays...), Array{Name: "enc9.bias", Shape: []int64{1}, Data: []float32{1}})
		require.ErrorContains(t, LoadArrays(net, extra), "unexpected enc9.bias")

		short := append([]Array(nil), m.Arrays...)
		short[0].Data = short[0].Data[:3]
		require.ErrorContains(t, LoadArrays(net, short), `array "enc0.conv1.weight": 3 values for shape [2 1 3 3] (want 18)`)

		// Nothing changed.
		after, err := FromUNet(net)
		require.NoError(t, err)
		assert.Equal(t, before, after.Arrays[0].Data[0])
	})
}
