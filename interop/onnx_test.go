package interop

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/models"
)

const onnxTolerance = 1e-4

// dskdProbabilities is dskd's inference (dskd.Predictor without TTA):
// each image normalised on its own, the network, the sigmoid. Outputs in
// Hierarchy order; each [N, 1, H, W]. Call it on a Worker.
func dskdProbabilities(t *testing.T, net *models.UNet, x Array, norm data.Normalization) [][]float32 {
	t.Helper()
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	normed := Array{Name: "x", Shape: x.Shape, Data: append([]float32(nil), x.Data...)}
	per := int(c * h * w)
	for i := 0; i < int(n); i++ {
		norm.Apply(&data.Image{W: int(w), H: int(c * h), Pix: normed.Data[i*per : (i+1)*per]})
	}
	var out [][]float32
	for _, logits := range forwardLogits(t, net, normed) {
		out = append(out, sigmoid(logits))
	}
	return out
}

// angiogram is a generated size x size angiogram as a [1, 1, H, W] array.
func angiogram(size int, seed int64) Array {
	img, _ := synth.Angiogram(size, seed)
	return Array{Name: "x", Shape: []int64{1, 1, int64(size), int64(size)}, Data: img.Pix}
}

// runORT runs model on x with ONNX Runtime and returns output name ->
// values (and checks every output's shape is [N, 1, H, W]).
func runORT(t *testing.T, model string, x Array) map[string][]float32 {
	t.Helper()
	res, _ := runORTLog(t, model, x)
	return res
}

// runORTLog is runORT that also returns what ONNX Runtime logged (stderr).
func runORTLog(t *testing.T, model string, x Array) (map[string][]float32, string) {
	t.Helper()
	node, modules := needORT(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "x.f32")
	require.NoError(t, os.WriteFile(in, float32LE(nil, x.Data), 0o644))
	args := []string{filepath.Join("testdata", "ort_run.js"), model, in}
	for _, d := range x.Shape {
		args = append(args, strconv.FormatInt(d, 10))
	}
	args = append(args, dir)
	cmd := exec.Command(node, args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	out := string(stdout)
	require.NoError(t, err, "%s %s\n%s%s", node, strings.Join(args, " "), out, stderr.String())
	var shapes map[string][]int64
	require.NoError(t, json.Unmarshal([]byte(out), &shapes), out)
	res := map[string][]float32{}
	for name, shape := range shapes {
		assert.Equal(t, []int64{x.Shape[0], 1, x.Shape[2], x.Shape[3]}, shape, name)
		b, err := os.ReadFile(filepath.Join(dir, name+".f32"))
		require.NoError(t, err)
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		res[name] = v
	}
	return res, stderr.String()
}

// checkONNX runs onnx.checker (full check, with shape inference) and
// returns what parity.py reports of the model.
func checkONNX(t *testing.T, model string) (summary struct {
	IRVersion int64             `json:"ir_version"`
	Opset     []int64           `json:"opset"`
	Inputs    []string          `json:"inputs"`
	Outputs   []string          `json:"outputs"`
	Metadata  map[string]string `json:"metadata"`
}) {
	t.Helper()
	py := needONNX(t)
	out := runTool(t, nil, py, parityScript(), "check-onnx", model)
	require.NoError(t, json.Unmarshal([]byte(out), &summary), out)
	return summary
}

func writeONNX(t *testing.T, path string, m *Model, opts ONNXOptions) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, m, ONNX, opts))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func TestONNXChecker(t *testing.T) {
	dir := t.TempDir()
	var m *Model
	onWorker(t, func() {
		var err error
		m, err = FromUNet(newTestUNet(t, models.UNetConfig{Depth: 4, Base: 2}, 40))
		require.NoError(t, err)
	})
	m.Meta.Threshold = 0.45
	plain, sides := filepath.Join(dir, "plain.onnx"), filepath.Join(dir, "sides.onnx")
	writeONNX(t, plain, m, ONNXOptions{})
	writeONNX(t, sides, m, ONNXOptions{SideOutputs: true})
	s := checkONNX(t, plain)
	assert.Equal(t, int64(onnxIRVersion), s.IRVersion)
	assert.Equal(t, []int64{onnxOpset}, s.Opset)
	assert.Equal(t, []string{"image"}, s.Inputs)
	assert.Equal(t, []string{"probability"}, s.Outputs)
	assert.Equal(t, "zscore", s.Metadata["dskd_normalize"])
	assert.Equal(t, "0.45", s.Metadata["dskd_threshold"])
	assert.JSONEq(t, `{"depth":4,"base":2,"in_channels":1,"upsample":"bilinear","bn_momentum":0.1,"bn_eps":0.00001}`, s.Metadata["dskd_config"])
	s = checkONNX(t, sides)
	assert.Equal(t, []string{"probability", "side_0", "side_1", "side_2"}, s.Outputs)
}

// ONNX Runtime on real-size images equals dskd's inference, for every
// output, with the normalisation, the padding and the crop in the graph.
func TestONNXRuntimeMatchesDskd(t *testing.T) {
	cases := []struct {
		name string
		cfg  models.UNetConfig
		norm string
		x    Array
	}{
		{"300x300", models.UNetConfig{Depth: 4, Base: 4}, NormZScore, angiogram(300, 50)},
		{"512x512", models.UNetConfig{Depth: 4, Base: 4}, NormZScore, angiogram(512, 51)},
		// Batch of two tiny images: replicate padding, per-image normalisation.
		{"2x7x5", models.UNetConfig{Depth: 4, Base: 4}, NormZScore, randomImages(52, 2, 1, 7, 5)},
		{"transpose-minmax", models.UNetConfig{Depth: 3, Base: 3, Upsample: models.UpsampleTranspose}, NormMinMax, randomImages(53, 1, 1, 61, 45)},
	}
	dir := t.TempDir()
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			needORT(t)
			var want [][]float32
			var m *Model
			onWorker(t, func() {
				net := newTestUNet(t, c.cfg, int64(60+ci))
				var err error
				m, err = FromUNet(net)
				require.NoError(t, err)
				norm := data.NormZScore
				if c.norm == NormMinMax {
					norm = data.NormMinMax
				}
				want = dskdProbabilities(t, net, c.x, norm)
			})
			m.Meta.Normalize = c.norm
			path := filepath.Join(dir, c.name+".onnx")
			writeONNX(t, path, m, ONNXOptions{SideOutputs: true})
			got := runORT(t, path, c.x)
			require.Len(t, got, len(want))
			for i, w := range want {
				name := "side_" + strconv.Itoa(i)
				if i == len(want)-1 {
					name = ONNXOutput
				}
				lo, hi := minMax(w)
				require.True(t, hi-lo > 0.05 && lo < 0.95 && hi > 0.05, "%s: probabilities in [%g, %g]: too flat or saturated for a telling comparison", name, lo, hi)
				d := maxAbsDiff(w, got[name])
				t.Logf("%s: %s max |dskd - ONNX Runtime| = %.3g", c.name, name, d)
				assert.LessOrEqual(t, d, onnxTolerance, name)
			}
		})
	}
}

func minMax(v []float32) (lo, hi float32) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// The in-graph normalisation alone equals package data's (float64) on
// angiogram-like images: bright background, low contrast (DCA1's
// statistics, where a float32 mean over the whole image was off by 1e-4
// after normalisation), and a constant image (std floor, minmax's 0 case).
func TestONNXNormalisationMatchesData(t *testing.T) {
	needORT(t)
	img, _ := synth.Angiogram(300, 70)
	dim := Array{Name: "x", Shape: []int64{2, 1, 300, 300}, Data: make([]float32, 2*300*300)}
	for i, v := range img.Pix {
		dim.Data[i] = 0.55 + 0.25*v // DCA1-like: mean 0.7, std 0.05
		dim.Data[300*300+i] = 0.6
	}
	for _, how := range []string{NormZScore, NormMinMax} {
		g := &graphBuilder{}
		g.graph.inputs = []onnxValueInfo{{name: ONNXInput, elemType: onnxFloat, dims: []onnxDim{{param: "n"}, {value: 1}, {param: "h"}, {param: "w"}}}}
		y := g.normalize(ONNXInput, how)
		g.graph.nodes = append(g.graph.nodes, onnxNode{op: "Identity", name: "y", inputs: []string{y}, outputs: []string{"y"}})
		g.graph.outputs = []onnxValueInfo{{name: "y", elemType: onnxFloat, dims: []onnxDim{{param: "n"}, {value: 1}, {param: "h"}, {param: "w"}}}}
		path := filepath.Join(t.TempDir(), how+".onnx")
		require.NoError(t, os.WriteFile(path, onnxModel{irVersion: onnxIRVersion, opset: onnxOpset, graph: g.graph}.encode(), 0o644))
		got := runORT(t, path, dim)["y"]
		norm := data.NormZScore
		if how == NormMinMax {
			norm = data.NormMinMax
		}
		want := append([]float32(nil), dim.Data...)
		for i := 0; i < 2; i++ {
			norm.Apply(&data.Image{W: 300, H: 300, Pix: want[i*90000 : (i+1)*90000]})
		}
		d := maxAbsDiff(want, got)
		t.Logf("%s: max |data - ONNX Runtime| = %.3g", how, d)
		assert.LessOrEqual(t, d, 2e-6, how)
		assert.Equal(t, float32(0), got[90000], "%s of a constant image", how)
	}
}

// Every initializer is read by some node: without SideOutputs the side
// heads' arrays are left out (ONNX Runtime warned about each unused one),
// with SideOutputs every array is in; the arrays come in the model's
// order, before the graph constants.
func TestONNXInitializersAreRead(t *testing.T) {
	cfg := models.UNetConfig{Depth: 4, Base: 2}
	m := &Model{Meta: Metadata{Config: cfg}, Arrays: zeroArrays(t, cfg)}
	for _, sides := range []bool{false, true} {
		var buf bytes.Buffer
		require.NoError(t, EncodeONNX(&buf, m, ONNXOptions{SideOutputs: sides}))
		graph := wireFields(t, wireFields(t, buf.Bytes())[7][0].([]byte)) // ModelProto.graph
		read := map[string]bool{}
		for _, n := range graph[1] { // GraphProto.node
			for _, in := range wireFields(t, n.([]byte))[1] { // NodeProto.input
				read[string(in.([]byte))] = true
			}
		}
		var arrays []string
		for i, init := range graph[5] { // GraphProto.initializer
			name := string(wireFields(t, init.([]byte))[8][0].([]byte)) // TensorProto.name
			assert.True(t, read[name], "side outputs %v: initializer %s is read by no node", sides, name)
			if !strings.HasPrefix(name, "const_") {
				assert.Equal(t, len(arrays), i, "side outputs %v: array %s after a constant", sides, name)
				arrays = append(arrays, name)
			}
		}
		var want []string
		for _, a := range m.Arrays {
			if sides || !strings.Contains(a.Name, ".side.") {
				want = append(want, a.Name)
			}
		}
		assert.Equal(t, want, arrays, "side outputs %v", sides)
		if !sides {
			assert.Len(t, arrays, len(m.Arrays)-6, "3 side heads' weights and biases left out")
		}
	}
}

// ONNX Runtime loads a plain export (no side outputs) without a warning
// about unused initializers, and a main-only export computes the same
// probabilities as one with side outputs.
func TestONNXRuntimeNoUnusedInitializers(t *testing.T) {
	needORT(t)
	var m *Model
	onWorker(t, func() {
		var err error
		m, err = FromUNet(newTestUNet(t, models.UNetConfig{Depth: 4, Base: 2}, 45))
		require.NoError(t, err)
	})
	dir := t.TempDir()
	plain, sides := filepath.Join(dir, "plain.onnx"), filepath.Join(dir, "sides.onnx")
	writeONNX(t, plain, m, ONNXOptions{})
	writeONNX(t, sides, m, ONNXOptions{SideOutputs: true})
	x := randomImages(46, 1, 1, 37, 29)
	got, log := runORTLog(t, plain, x)
	assert.NotContains(t, log, "Removing initializer")
	assert.NotContains(t, log, "not used by any node")
	require.Len(t, got, 1)
	all := runORT(t, sides, x)
	require.Len(t, all, 4)
	assert.Equal(t, all[ONNXOutput], got[ONNXOutput])
}
