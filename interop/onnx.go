package interop

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/angioseg/dskd/models"
)

// ONNX export: opset 17, IR version 8 (what onnx 1.12, Debian 12's, checks;
// ONNX Runtime >= 1.13 runs it).
const (
	onnxOpset     = 17
	onnxIRVersion = 8
)

// ONNXOptions tune EncodeONNX. The zero value exports the main probability
// map only.
type ONNXOptions struct {
	// SideOutputs adds the side heads' probability maps as outputs side_0
	// (coarsest) ... side_{Depth-2}, at the input size, in the order of
	// models.Output.Hierarchy.
	SideOutputs bool
}

// ONNX graph input and output names.
const (
	ONNXInput  = "image"
	ONNXOutput = "probability"
)

// EncodeONNX writes the inference graph of m: input "image", float32
// [N, C, H, W] with dynamic N, H and W, the intensities as decoded (in
// [0, 1], not normalised); output "probability", float32 [N, 1, H, W], the
// vessel probability (sigmoid of the main logits). Inside the graph: the
// model's per-image normalisation (Meta.Normalize), the padding of H and W
// to a multiple of 2^Depth at the bottom and right (reflect when the
// padding is smaller than the side, replicate otherwise, as models.UNet),
// the network (BatchNormalization in inference mode, bilinear Resize with
// half_pixel coordinates = align_corners=false) and the crop back to H x W.
// Normalising an input twice changes nothing, so already normalised
// images give the same result. The network's nodes follow
// models.Describe(Meta.Config); the initializers are the arrays the
// outputs read (a side head's only with SideOutputs), in m's order.
func EncodeONNX(w io.Writer, m *Model, opts ONNXOptions) error {
	if err := m.Validate(); err != nil {
		return err
	}
	meta := m.Meta
	arch, err := models.Describe(meta.Config)
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	g := &graphBuilder{reads: map[string]bool{}, eps: arch.Config.BNEps}
	g.build(arch, meta.Normalize, opts)
	if err := g.weights(m.Arrays); err != nil {
		return err
	}
	kv, err := meta.Strings()
	if err != nil {
		return err
	}
	kv["dskd_input"] = fmt.Sprintf("%s: float32 [N, %d, H, W], intensities in [0, 1] as decoded; the graph applies the %s normalisation itself", ONNXInput, meta.Config.InChannels, meta.Normalize)
	kv["dskd_outputs"] = fmt.Sprintf("%s: float32 [N, 1, H, W] vessel probability; threshold %g gives the mask", ONNXOutput, meta.Threshold)
	if opts.SideOutputs {
		kv["dskd_outputs"] += "; side_0 (coarsest) .. side_" + strconv.Itoa(meta.Config.Depth-2) + ": the side heads' probabilities"
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	model := onnxModel{
		irVersion: onnxIRVersion, opset: onnxOpset,
		producer: "dskd", producerVersion: meta.Version,
		doc:   "dskd U-Net (Deep Self-knowledge Distillation) for coronary artery segmentation in X-ray angiograms",
		graph: g.graph,
	}
	model.graph.name = "dskd_unet"
	model.graph.doc = kv["dskd_input"] + ". " + kv["dskd_outputs"] + "."
	for _, k := range keys {
		model.props = append(model.props, [2]string{k, kv[k]})
	}
	if _, err := w.Write(model.encode()); err != nil {
		return fmt.Errorf("interop: writing ONNX: %w", err)
	}
	return nil
}

// graphBuilder appends nodes and constants; every value gets a fresh name.
type graphBuilder struct {
	graph onnxGraph
	reads map[string]bool // the model arrays the nodes read
	eps   float64         // BatchNorm epsilon
	count int
}

// weights puts the arrays the nodes read, in the order of arrays, before
// the constants.
func (g *graphBuilder) weights(arrays []Array) error {
	var ws []onnxTensor
	for _, a := range arrays {
		if g.reads[a.Name] {
			ws = append(ws, onnxTensor{name: a.Name, dataType: onnxFloat, dims: a.Shape, raw: float32LE(nil, a.Data)})
		}
	}
	if len(ws) != len(g.reads) {
		return fmt.Errorf("interop: the ONNX graph reads %d arrays, the model has %d of them", len(g.reads), len(ws))
	}
	g.graph.initializers = append(ws, g.graph.initializers...)
	return nil
}

func (g *graphBuilder) initializer(name string, dataType int32, dims []int64, raw []byte) {
	g.graph.initializers = append(g.graph.initializers, onnxTensor{name: name, dataType: dataType, dims: dims, raw: raw})
}

// node adds op(inputs) with one output and returns the output's name.
func (g *graphBuilder) node(op string, inputs []string, attrs ...onnxAttr) string {
	g.count++
	out := op + "_" + strconv.Itoa(g.count)
	g.graph.nodes = append(g.graph.nodes, onnxNode{op: op, name: out, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// ints adds an int64 constant; scalar (0-d) when dims is nil.
func (g *graphBuilder) ints(dims []int64, v ...int64) string {
	g.count++
	name := "const_" + strconv.Itoa(g.count)
	var raw []byte
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	g.initializer(name, onnxInt64, dims, raw)
	return name
}

func (g *graphBuilder) scalar(v int64) string    { return g.ints(nil, v) }
func (g *graphBuilder) vector(v ...int64) string { return g.ints([]int64{int64(len(v))}, v...) }

func (g *graphBuilder) floatScalar(v float32) string {
	g.count++
	name := "const_" + strconv.Itoa(g.count)
	g.initializer(name, onnxFloat, nil, float32LE(nil, []float32{v}))
	return name
}

func intAttr(name string, v int64) onnxAttr               { return onnxAttr{name: name, kind: attrInt, i: v} }
func intsAttr(name string, v ...int64) onnxAttr           { return onnxAttr{name: name, kind: attrInts, ints: v} }
func strAttr(name, v string) onnxAttr                     { return onnxAttr{name: name, kind: attrString, s: v} }
func floatAttr(name string, v float32) onnxAttr           { return onnxAttr{name: name, kind: attrFloat, f: v} }
func (g *graphBuilder) op(op string, in ...string) string { return g.node(op, in) }

// normalize applies models' per-image normalisation over C, H and W.
func (g *graphBuilder) normalize(x, how string) string {
	switch how {
	case NormZScore:
		// (x - mean) / max(std, 1e-6), population std (data.NormZScore), in
		// float32 (TensorRT has no float64) but as exact as dskd's float64:
		// the image is first shifted by its top-left pixel, so the sums hold
		// deviations, not the bright background (a float32 mean of a whole
		// 300x300 DCA1 image was off by 1e-4 after normalisation), and a
		// constant image becomes exactly 0, not ulps divided by the 1e-6
		// floor; means go over each row, then over the row means.
		corner := g.op("Slice", x, g.vector(0, 0, 0), g.vector(1, 1, 1), g.vector(1, 2, 3))
		shifted := g.op("Sub", x, corner)
		d := g.op("Sub", shifted, g.imageMean(shifted))
		std := g.op("Max", g.op("Sqrt", g.imageMean(g.op("Mul", d, d))), g.floatScalar(1e-6))
		return g.op("Div", d, std)
	case NormMinMax:
		// (x - min) / (max - min), 0 for a constant image (data.NormMinMax).
		axes := intsAttr("axes", 1, 2, 3)
		lo := g.node("ReduceMin", []string{x}, axes)
		hi := g.node("ReduceMax", []string{x}, axes)
		span := g.op("Sub", hi, lo)
		scaled := g.op("Div", g.op("Sub", x, lo), span)
		return g.op("Where", g.op("Greater", span, g.floatScalar(0)), scaled, g.floatScalar(0))
	}
	return x
}

// imageMean is the mean of each [C, H, W] image, [N, 1, 1, 1]: the mean of
// the row means (rows have equal lengths).
func (g *graphBuilder) imageMean(x string) string {
	rows := g.node("ReduceMean", []string{x}, intsAttr("axes", 3))
	return g.node("ReduceMean", []string{rows}, intsAttr("axes", 1, 2))
}

// padIndex returns the source row (or column) of every padded position
// 0 .. n+pad-1: i inside, then reflect (2n-2-i) when reflect is true,
// replicate (n-1) otherwise. Gathering with it pads exactly like
// reflection_pad2d / replication_pad2d at the bottom or right.
func (g *graphBuilder) padIndex(n, pad, reflect string) string {
	zero, one, two := g.scalar(0), g.scalar(1), g.scalar(2)
	i := g.op("Range", zero, g.op("Add", n, pad), one)
	last := g.op("Sub", n, one)
	mirrored := g.op("Where", g.op("Less", i, n), i, g.op("Sub", g.op("Sub", g.op("Mul", two, n), two), i))
	clamped := g.op("Min", i, last)
	return g.op("Where", reflect, mirrored, clamped)
}

// layer applies a layer of the architecture: Conv, ConvTranspose or
// BatchNormalization (inference mode) with the layer's arrays as the
// inputs after x, in Params order (the order of ONNX's inputs for all
// three).
func (g *graphBuilder) layer(x string, l models.Layer) string {
	in := []string{x}
	for _, p := range l.Params() {
		in = append(in, p.Name)
		g.reads[p.Name] = true
	}
	k := l.Kernel
	switch l.Kind {
	case models.LayerBatchNorm:
		return g.node("BatchNormalization", in, floatAttr("epsilon", float32(g.eps)))
	case models.LayerConvTranspose:
		return g.node("ConvTranspose", in, intsAttr("kernel_shape", k, k), intsAttr("strides", k, k))
	}
	p := k / 2
	return g.node("Conv", in, intsAttr("kernel_shape", k, k), intsAttr("pads", p, p, p, p), intsAttr("strides", 1, 1))
}

func (g *graphBuilder) doubleConv(x string, d models.DoubleConv) string {
	x = g.op("Relu", g.layer(g.layer(x, d.Conv1), d.BN1))
	return g.op("Relu", g.layer(g.layer(x, d.Conv2), d.BN2))
}

// resizeTo resizes x bilinearly (align_corners=false) to the spatial size
// given by the 2-vector hw.
func (g *graphBuilder) resizeTo(x, hw string) string {
	nc := g.op("Slice", g.op("Shape", x), g.vector(0), g.vector(2))
	sizes := g.node("Concat", []string{nc, hw}, intAttr("axis", 0))
	return g.node("Resize", []string{x, "", "", sizes},
		strAttr("mode", "linear"), strAttr("coordinate_transformation_mode", "half_pixel"))
}

func (g *graphBuilder) spatial(x string) string {
	return g.op("Slice", g.op("Shape", x), g.vector(2), g.vector(4))
}

func (g *graphBuilder) output(name, x string) {
	g.graph.nodes = append(g.graph.nodes, onnxNode{op: "Sigmoid", name: name, inputs: []string{x}, outputs: []string{name}})
	g.graph.outputs = append(g.graph.outputs, onnxValueInfo{name: name, elemType: onnxFloat,
		dims: []onnxDim{{param: "batch"}, {value: 1}, {param: "height"}, {param: "width"}}})
}

// build adds the inference graph of arch: normalisation, padding, the
// network as models.UNet.Forward runs it, the crop and the sigmoids.
func (g *graphBuilder) build(arch models.Architecture, normalize string, opts ONNXOptions) {
	cfg := arch.Config
	g.graph.inputs = []onnxValueInfo{{name: ONNXInput, elemType: onnxFloat,
		dims: []onnxDim{{param: "batch"}, {value: int64(cfg.InChannels)}, {param: "height"}, {param: "width"}}}}
	x := g.normalize(ONNXInput, normalize)

	// Pad H and W up to a multiple of 2^Depth (models.UNet.Forward).
	shape := g.op("Shape", x)
	h := g.node("Gather", []string{shape, g.scalar(2)}, intAttr("axis", 0))
	w := g.node("Gather", []string{shape, g.scalar(3)}, intAttr("axis", 0))
	mult := g.scalar(1 << cfg.Depth)
	padOf := func(n string) string { return g.op("Mod", g.op("Sub", mult, g.op("Mod", n, mult)), mult) }
	ph, pw := padOf(h), padOf(w)
	reflect := g.op("And", g.op("Less", ph, h), g.op("Less", pw, w))
	x = g.node("Gather", []string{x, g.padIndex(h, ph, reflect)}, intAttr("axis", 2))
	x = g.node("Gather", []string{x, g.padIndex(w, pw, reflect)}, intAttr("axis", 3))
	full := g.spatial(x)
	cropEnds := g.node("Concat", []string{g.op("Unsqueeze", h, g.vector(0)), g.op("Unsqueeze", w, g.vector(0))}, intAttr("axis", 0))
	crop := func(t string) string { return g.op("Slice", t, g.vector(0, 0), cropEnds, g.vector(2, 3)) }

	enc := make([]string, len(arch.Encoder)) // each encoder stage's output
	cur := x
	for k, st := range arch.Encoder {
		if k > 0 {
			cur = g.node("MaxPool", []string{cur}, intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
		}
		cur = g.doubleConv(cur, st)
		enc[k] = cur
	}
	for j, st := range arch.Decoder {
		skip, up := enc[st.Skip], cur
		if st.Up.Kind != models.LayerConvTranspose {
			up = g.resizeTo(up, g.spatial(skip))
		}
		cur = g.doubleConv(g.node("Concat", []string{g.layer(up, st.Up), skip}, intAttr("axis", 1)), st.Block)
		if st.Side != nil && opts.SideOutputs {
			g.output("side_"+strconv.Itoa(j), crop(g.resizeTo(g.layer(cur, *st.Side), full)))
		}
	}
	g.output(ONNXOutput, crop(g.layer(cur, arch.Head)))
	// The main output first: sess.run(None, ...)[0] is the probability map.
	outs := g.graph.outputs
	g.graph.outputs = append([]onnxValueInfo{outs[len(outs)-1]}, outs[:len(outs)-1]...)
}
