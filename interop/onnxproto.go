package interop

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A hand-written encoder for the part of onnx.proto (ONNX 1.12, proto2)
// an inference graph needs, on protowire (the wire-format layer of the
// official Go protobuf module): ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto and their small helpers.
// Field numbers are onnx.proto's; repeated scalars are written unpacked,
// as proto2 declares them.

// ONNX TensorProto.DataType and AttributeProto.AttributeType values.
const (
	onnxFloat = 1
	onnxInt64 = 7

	attrFloat  = 1
	attrInt    = 2
	attrString = 3
	attrInts   = 7
)

type onnxAttr struct {
	name string
	kind int32
	f    float32
	i    int64
	s    string
	ints []int64
}

type onnxNode struct {
	op, name        string
	inputs, outputs []string
	attrs           []onnxAttr
}

type onnxTensor struct {
	name     string
	dataType int32
	dims     []int64
	raw      []byte // little-endian values
}

// onnxDim is a fixed dimension (param "") or a named dynamic one.
type onnxDim struct {
	value int64
	param string
}

type onnxValueInfo struct {
	name     string
	elemType int32
	dims     []onnxDim
	doc      string
}

type onnxGraph struct {
	name            string
	doc             string
	nodes           []onnxNode
	initializers    []onnxTensor
	inputs, outputs []onnxValueInfo
}

type onnxModel struct {
	irVersion, opset          int64
	producer, producerVersion string
	doc                       string
	graph                     onnxGraph
	props                     [][2]string
}

func appendString(b []byte, field protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendInt(b []byte, field protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendMessage(b []byte, field protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func (a onnxAttr) encode() []byte {
	b := appendString(nil, 1, a.name)
	b = appendInt(b, 20, int64(a.kind))
	switch a.kind {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendInt(b, 3, a.i)
	case attrString:
		b = appendString(b, 4, a.s)
	case attrInts:
		for _, v := range a.ints {
			b = appendInt(b, 8, v)
		}
	}
	return b
}

func (n onnxNode) encode() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendString(b, 1, in)
	}
	for _, out := range n.outputs {
		b = appendString(b, 2, out)
	}
	b = appendString(b, 3, n.name)
	b = appendString(b, 4, n.op)
	for _, a := range n.attrs {
		b = appendMessage(b, 5, a.encode())
	}
	return b
}

func (t onnxTensor) encode() []byte {
	var b []byte
	for _, d := range t.dims {
		b = appendInt(b, 1, d)
	}
	b = appendInt(b, 2, int64(t.dataType))
	b = appendString(b, 8, t.name)
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	return protowire.AppendBytes(b, t.raw)
}

func (v onnxValueInfo) encode() []byte {
	var shape []byte
	for _, d := range v.dims {
		var dim []byte
		if d.param != "" {
			dim = appendString(nil, 2, d.param)
		} else {
			dim = appendInt(nil, 1, d.value)
		}
		shape = appendMessage(shape, 1, dim)
	}
	tensorType := appendInt(nil, 1, int64(v.elemType))
	tensorType = appendMessage(tensorType, 2, shape)
	typ := appendMessage(nil, 1, tensorType)
	b := appendString(nil, 1, v.name)
	b = appendMessage(b, 2, typ)
	if v.doc != "" {
		b = appendString(b, 3, v.doc)
	}
	return b
}

func (g onnxGraph) encode() []byte {
	var b []byte
	for _, n := range g.nodes {
		b = appendMessage(b, 1, n.encode())
	}
	b = appendString(b, 2, g.name)
	for _, t := range g.initializers {
		b = appendMessage(b, 5, t.encode())
	}
	if g.doc != "" {
		b = appendString(b, 10, g.doc)
	}
	for _, v := range g.inputs {
		b = appendMessage(b, 11, v.encode())
	}
	for _, v := range g.outputs {
		b = appendMessage(b, 12, v.encode())
	}
	return b
}

func (m onnxModel) encode() []byte {
	b := appendInt(nil, 1, m.irVersion)
	b = appendString(b, 2, m.producer)
	b = appendString(b, 3, m.producerVersion)
	if m.doc != "" {
		b = appendString(b, 6, m.doc)
	}
	b = appendMessage(b, 7, m.graph.encode())
	b = appendMessage(b, 8, appendInt(appendString(nil, 1, ""), 2, m.opset))
	for _, kv := range m.props {
		b = appendMessage(b, 14, appendString(appendString(nil, 1, kv[0]), 2, kv[1]))
	}
	return b
}
