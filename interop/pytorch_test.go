package interop

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/models"
)

const parityTolerance = 1e-5

func parityScript() string { return filepath.Join("pytorch", "parity.py") }

// Two configurations: the default bilinear decoder on a size that needs
// reflect padding, and the transposed-conv decoder on a tiny input that
// needs replicate padding.
var parityCases = []struct {
	cfg models.UNetConfig
	x   Array
}{
	{models.UNetConfig{Depth: 4, Base: 4}, randomImages(5, 2, 1, 45, 61)},
	{models.UNetConfig{Depth: 3, Base: 3, InChannels: 2, Upsample: models.UpsampleTranspose}, randomImages(6, 1, 2, 7, 5)},
}

// dskd weights (safetensors and .pt) load into interop/pytorch/dskd_unet.py
// with strict=True, and its forward equals dskd's.
func TestPyTorchLoadsDskdWeights(t *testing.T) {
	py := needTorch(t)
	for ci, c := range parityCases {
		cfg, err := c.cfg.WithDefaults()
		require.NoError(t, err)
		dir := t.TempDir()
		in := filepath.Join(dir, "x.safetensors")
		writeSafetensors(t, in, c.x)
		var m *Model
		var want [][]float32
		onWorker(t, func() {
			net := newTestUNet(t, c.cfg, int64(20+ci))
			var err error
			m, err = FromUNet(net)
			require.NoError(t, err)
			want = forwardLogits(t, net, c.x)
		})
		m.Meta.Threshold = 0.35
		for _, f := range []Format{Safetensors, PT} {
			weights := filepath.Join(dir, "dskd."+string(f))
			require.NoError(t, WriteFile(weights, m, f, ONNXOptions{}))
			out := filepath.Join(dir, "torch-"+string(f)+".safetensors")
			summary := runTool(t, nil, py, parityScript(), "forward", weights, in, out)
			var s struct {
				StateDict [][2]any `json:"state_dict"`
				Threshold float64
				Config    map[string]any
			}
			require.NoError(t, json.Unmarshal([]byte(summary), &s), summary)
			assertStateDictIsLayout(t, cfg, s.StateDict)
			assert.Equal(t, 0.35, s.Threshold)
			assert.Equal(t, float64(c.cfg.Base), s.Config["base"])
			got := readSafetensors(t, out)
			for i, w := range want {
				y := got["y"+strconv.Itoa(i)]
				d := maxAbsDiff(w, y.Data)
				t.Logf("%s %s: output %d max |dskd - PyTorch| = %.3g", cfg.Upsample, f, i, d)
				assert.LessOrEqual(t, d, parityTolerance, "%s %s output %d", cfg.Upsample, f, i)
			}
		}
	}
}

// Weights made and saved by PyTorch (torch.save of the state dict, and
// safetensors without dskd metadata) load into dskd, and dskd's forward
// equals PyTorch's.
func TestDskdLoadsPyTorchWeights(t *testing.T) {
	py := needTorch(t)
	for ci, c := range parityCases {
		dir := t.TempDir()
		in := filepath.Join(dir, "x.safetensors")
		writeSafetensors(t, in, c.x)
		cfg, err := c.cfg.WithDefaults()
		require.NoError(t, err)
		cfg.MemoryFormat, cfg.Init = "", "" // how this process builds and lays out the net, not architecture arguments
		cfgJSON, err := json.Marshal(cfg)   // UNetConfig's JSON names are DskdUNet's arguments
		require.NoError(t, err)
		runTool(t, nil, py, parityScript(), "make", string(cfgJSON), strconv.Itoa(30+ci), in, dir)
		want := readSafetensors(t, filepath.Join(dir, "expected.safetensors"))
		for _, file := range []string{"torch.pt", "torch.safetensors"} {
			m, err := ReadFile(filepath.Join(dir, file))
			require.NoError(t, err)
			assert.Equal(t, cfg, m.Meta.Config, "config inferred from the shapes of %s", file)
			onWorker(t, func() {
				net, err := NewUNet(m, gotch.CPU)
				require.NoError(t, err)
				got := forwardLogits(t, net, c.x)
				for i, g := range got {
					d := maxAbsDiff(want["y"+strconv.Itoa(i)].Data, g)
					t.Logf("%s %s: output %d max |PyTorch - dskd| = %.3g", cfg.Upsample, file, i, d)
					assert.LessOrEqual(t, d, parityTolerance, "%s output %d", file, i)
				}
			})
		}
	}
}

// assertStateDictIsLayout: the PyTorch module's state_dict, as [name,
// shape] pairs in order, is exactly Layout(cfg).
func assertStateDictIsLayout(t *testing.T, cfg models.UNetConfig, sd [][2]any) {
	t.Helper()
	layout, err := Layout(cfg)
	require.NoError(t, err)
	require.Len(t, sd, len(layout))
	for i, p := range layout {
		var shape []int64
		for _, d := range sd[i][1].([]any) {
			shape = append(shape, int64(d.(float64)))
		}
		assert.Equal(t, p.Name, sd[i][0], "state_dict entry %d", i)
		assert.Equal(t, p.Shape, shape, p.Name)
	}
}
