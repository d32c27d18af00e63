package models

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// The default description, counted by hand: 5 encoder stages of 10
// variables, 4 decoder stages of 12 plus 3 side heads of 2, the head's 2.
func TestDescribeDefaults(t *testing.T) {
	a, err := Describe(UNetConfig{})
	require.NoError(t, err)
	assert.Equal(t, 4, a.Config.Depth)
	require.Len(t, a.Encoder, 5)
	require.Len(t, a.Decoder, 4)
	ps := a.Params()
	require.Len(t, ps, 5*10+4*12+3*2+2)
	assert.Equal(t, Param{Name: "enc0.conv1.weight", Shape: []int64{32, 1, 3, 3}, Role: RoleWeight}, ps[0])
	assert.Equal(t, Param{Name: "enc0.bn1.running_var", Shape: []int64{32}, Role: RoleRunningVar}, ps[4])
	assert.Equal(t, Param{Name: "enc4.conv2.weight", Shape: []int64{512, 512, 3, 3}, Role: RoleWeight}, ps[45])
	assert.Equal(t, Param{Name: "dec0.up.weight", Shape: []int64{256, 512, 3, 3}, Role: RoleWeight}, ps[50])
	assert.Equal(t, Param{Name: "dec0.conv1.weight", Shape: []int64{256, 512, 3, 3}, Role: RoleWeight}, ps[52])
	assert.Equal(t, Param{Name: "dec0.side.bias", Shape: []int64{1}, Role: RoleBias}, ps[63])
	assert.Equal(t, Param{Name: "head.bias", Shape: []int64{1}, Role: RoleBias}, ps[len(ps)-1])
	for j, d := range a.Decoder {
		assert.Equal(t, 3-j, d.Skip, "decoder stage %d concatenates encoder stage 3-j", j)
		assert.Equal(t, j < 3, d.Side != nil, "decoder stage %d side head", j)
		assert.Equal(t, int64(32)<<(3-j), d.Block.BN2.Out)
	}
	assert.Equal(t, Layer{Name: "head", Kind: LayerConv, In: 32, Out: 1, Kernel: 1, Bias: true}, a.Head)

	names := map[string]bool{}
	for _, p := range ps {
		assert.False(t, names[p.Name], "%s twice", p.Name)
		names[p.Name] = true
		assert.Equal(t, strings.HasSuffix(p.Name, "running_mean") || strings.HasSuffix(p.Name, "running_var"), p.Role.Buffer(), p.Name)
	}

	tr, err := Describe(UNetConfig{Depth: 2, Base: 3, InChannels: 2, Upsample: UpsampleTranspose})
	require.NoError(t, err)
	up := tr.Decoder[0].Up
	assert.Equal(t, Layer{Name: "dec0.up", Kind: LayerConvTranspose, In: 12, Out: 6, Kernel: 2, Bias: true}, up)
	assert.Equal(t, []Param{
		{Name: "dec0.up.weight", Shape: []int64{12, 6, 2, 2}, Role: RoleWeight},
		{Name: "dec0.up.bias", Shape: []int64{6}, Role: RoleBias},
	}, up.Params())
	assert.Equal(t, int64(6*2*2), up.FanIn(), "PyTorch's fan-in of a transposed conv: dim 1 of the weight")
	assert.Equal(t, int64(2*3*3), tr.Encoder[0].Conv1.FanIn())
	assert.Equal(t, []string{"dec0", "side"}, tr.Decoder[0].Side.Path())
	assert.Nil(t, tr.Decoder[1].Side)

	_, err = Describe(UNetConfig{Depth: MaxDepth + 1})
	require.ErrorContains(t, err, "models: UNetConfig.Depth 9: want 1..8")
}

// New creates exactly the variables of Describe: the same names, shapes,
// and buffers (not trainable) for the BatchNorm running statistics.
func TestNewFollowsDescribe(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		for depth := 1; depth <= 5; depth++ {
			for _, up := range []Upsample{UpsampleBilinear, UpsampleTranspose} {
				cfg := UNetConfig{Depth: depth, Base: 1 + depth%3, InChannels: 1 + depth%2, Upsample: up}
				a, err := Describe(cfg)
				require.NoError(t, err)
				m, err := New(cfg, gotch.CPU)
				require.NoError(t, err)
				vars := aten.Vars(m.VarStore())
				byName := map[string]aten.Var{}
				for _, v := range vars {
					byName[v.Name] = v
				}
				require.Len(t, vars, len(a.Params()), "depth %d %s", depth, up)
				for _, p := range a.Params() {
					v, ok := byName[p.Name]
					if assert.True(t, ok, "depth %d %s: no variable %s", depth, up, p.Name) {
						assert.Equal(t, p.Shape, v.T.Shape(), p.Name)
						assert.Equal(t, !p.Role.Buffer(), v.Trainable, p.Name)
					}
				}
				m.VarStore().Destroy()
			}
		}
		return nil
	})
}

// New draws the initial weights in Params order: drawing the same tensors
// in that order from the same seed gives them bit for bit (Kaiming: conv
// weights, biases 0; PyTorch's init: weights and biases, uniform).
func TestNewDrawsInParamsOrder(t *testing.T) {
	for _, init := range []Init{InitKaiming, InitPyTorch} {
		cfg := UNetConfig{Depth: 2, Base: 2, InChannels: 2, Upsample: UpsampleTranspose, Init: init, MemoryFormat: MemoryContiguous}
		a, err := Describe(cfg)
		require.NoError(t, err)
		run(t, func(s *aten.Scope) error {
			engine.ManualSeed(5)
			m, err := New(cfg, gotch.CPU)
			require.NoError(t, err)
			defer m.VarStore().Destroy()
			ws, err := m.Weights()
			require.NoError(t, err)
			got := map[string][]float32{}
			for _, w := range ws {
				got[w.Name] = w.Data
			}
			engine.ManualSeed(5)
			drawn := 0
			for _, l := range a.Layers() {
				for _, p := range l.Params() {
					var want []float32
					bound := 1 / math.Sqrt(float64(l.FanIn()))
					switch {
					case l.Kind == LayerBatchNorm:
						v := 0.0
						if p.Role == RoleWeight || p.Role == RoleRunningVar {
							v = 1
						}
						want = s.Float32s(s.Full(p.Shape, v, gotch.Float, gotch.CPU))
					case init == InitKaiming && p.Role == RoleBias:
						want = s.Float32s(s.Full(p.Shape, 0, gotch.Float, gotch.CPU))
					case init == InitKaiming:
						want = s.Float32s(s.MulScalarInPlace(s.Randn(p.Shape, gotch.Float, gotch.CPU), math.Sqrt(2/float64(l.FanIn()))))
						drawn++
					default:
						want = s.Float32s(s.AddScalarInPlace(s.MulScalarInPlace(s.Rand(p.Shape, gotch.Float, gotch.CPU), 2*bound), -bound))
						drawn++
					}
					require.NoError(t, s.Err())
					assert.Equal(t, want, got[p.Name], "%s %s", init, p.Name)
				}
			}
			// 3 encoder stages x 2 convs, 2 decoder stages x (up, 2 convs), 1 side head, the head.
			wantDrawn := 3*2 + 2*3 + 1 + 1
			if init == InitPyTorch {
				wantDrawn += 2 + 1 + 1 // the biases: ups, side, head
			}
			assert.Equal(t, wantDrawn, drawn, init)
			return nil
		})
	}
}
