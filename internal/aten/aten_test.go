package aten

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
)

// locked runs fn on a locked OS thread (grad mode is per thread).
func locked(fn func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(done)
		fn()
	}()
	<-done
}

func TestScopeFreesWhatItOwns(t *testing.T) {
	live0 := Live()
	s := NewScope()
	a := s.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2)
	b := s.MulScalar(a, 2)
	c := s.Keep(s.Add(a, b))
	require.NoError(t, s.Err())
	assert.Equal(t, live0+3, Live())
	s.Free(b)
	assert.True(t, b.Freed())
	assert.Equal(t, live0+2, Live())
	s.Close()
	assert.True(t, a.Freed(), "Close frees owned tensors")
	assert.False(t, c.Freed(), "Close leaves kept tensors")
	assert.Equal(t, live0+1, Live())

	s2 := NewScope()
	assert.Equal(t, []float32{3, 6, 9, 12}, s2.Float32s(c))
	s2.Free(c) // not s2's: left alone
	assert.False(t, c.Freed())
	s2.Adopt(c)
	s2.Close()
	assert.True(t, c.Freed(), "an adopted tensor goes with its new Scope")
	assert.Equal(t, live0, Live())
	c.Free() // a second Free is a no-op
	assert.Equal(t, live0, Live())

	// A closed Scope is over: an op records an error and creates nothing.
	assert.Nil(t, s2.FromFloat32s([]float32{1}, 1))
	assert.Nil(t, s.Zeros([]int64{2}, gotch.Float, gotch.CPU))
	require.ErrorIs(t, s2.Err(), errClosed)
	assert.ErrorContains(t, s.Err(), "aten: op on a closed Scope (make a new one): zeros")
	assert.Equal(t, live0, Live())
}

func TestRunKeepsOnlyTheResult(t *testing.T) {
	live0 := Live()
	s := NewScope()
	defer s.Close()
	x := s.FromFloat32s([]float32{-1, 2}, 2)
	y := s.Run(func(c *Scope) *Tensor {
		return c.Relu(c.MulScalar(c.AddScalar(x, 1), 3)) // two temporaries
	})
	require.NoError(t, s.Err())
	assert.Equal(t, []float32{0, 9}, s.Float32s(y))
	assert.Equal(t, live0+2, Live(), "x and y live; the block's temporaries are gone")
}

func TestErrorsAreStickyAndNameTheOp(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x := s.FromFloat32s(make([]float32, 2*3*4*4), 2, 3, 4, 4)
	w := s.FromFloat32s(make([]float32, 5*2*3*3), 5, 2, 3, 3) // 2 input channels, x has 3
	y := s.Conv2d(x, w, nil, 1, 1)
	assert.Nil(t, y)
	require.Error(t, s.Err())
	assert.Contains(t, s.Err().Error(), "aten: conv2d: ")
	assert.NotContains(t, s.Err().Error(), "Exception raised from", "libtorch's backtrace is trimmed")
	first := s.Err()
	live := Live()
	assert.Nil(t, s.Sigmoid(x), "ops after an error do nothing")
	assert.Equal(t, live, Live())
	assert.Equal(t, first, s.Err(), "the first error stays")
	_, err := s.Result(x)
	assert.Equal(t, first, err)

	s2 := NewScope()
	defer s2.Close()
	assert.Nil(t, s2.Add(x, nil))
	assert.EqualError(t, s2.Err(), "aten: add: input 1 is a nil or freed tensor")
	s3 := NewScope()
	assert.Nil(t, s3.FromFloat32s([]float32{1, 2, 3}, 2, 2))
	assert.EqualError(t, s3.Err(), "aten: from_float32s: 3 values for shape [2 2] (4 elements)")
	assert.Equal(t, 0.0, s3.Item(x))
	s4 := NewScope()
	s4.Item(x)
	assert.ErrorContains(t, s4.Err(), "item of a tensor with 96 elements")
}

func TestValuesRoundTripAndMetadata(t *testing.T) {
	s := NewScope()
	defer s.Close()
	v := []float64{1.5, -2, 3.25, 0, 7, 8}
	x := s.FromFloat64s(v, 2, 3)
	assert.Equal(t, []int64{2, 3}, x.Shape())
	assert.Equal(t, gotch.Double, x.DType())
	assert.Equal(t, gotch.CPU, x.Device())
	assert.Equal(t, int64(6), x.Numel())
	assert.Equal(t, v, s.Float64s(x))
	assert.Equal(t, []float32{1.5, -2, 3.25, 0, 7, 8}, s.Float32s(x), "any float dtype reads as float32")
	assert.Equal(t, []int64{5}, s.Int64s(s.FromInt64s([]int64{5}, 1)))
	assert.Equal(t, 17.75, s.Item(s.SumDims(s.SumDims(x, 1), 0)))
	assert.Equal(t, "Double[2 3]@cpu", x.String())
	require.NoError(t, s.Err())
	var nilT *Tensor
	assert.Nil(t, nilT.Shape())
	assert.Equal(t, "<nil tensor>", nilT.String())
}

func TestChannelsLastKeepsValues(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x := s.Randn([]int64{2, 3, 5, 4}, gotch.Float, gotch.CPU)
	cl := s.ChannelsLast(x)
	require.NoError(t, s.Err())
	assert.True(t, cl.IsChannelsLast())
	assert.False(t, x.IsChannelsLast())
	assert.Equal(t, []int64{60, 1, 12, 3}, cl.Strides())
	assert.Equal(t, s.Float32s(x), s.Float32s(cl), "same values, other layout")
	// Ops keep the layout: a convolution of a channels-last input is
	// channels-last.
	w := s.ChannelsLast(s.Randn([]int64{6, 3, 3, 3}, gotch.Float, gotch.CPU))
	assert.True(t, s.Conv2d(cl, w, nil, 1, 1).IsChannelsLast())
}

func TestInPlaceOpsFreeTheirExtraHandle(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x := s.FromFloat32s([]float32{1, -2, 3}, 3)
	live := Live()
	s.AddScalarInPlace(s.MulScalarInPlace(x, 2), 1) // 3, -3, 7
	s.DivScalarInPlace(x, 2)                        // 1.5, -1.5, 3.5
	s.ReluInPlace(x)                                // 1.5, 0, 3.5
	s.LerpInPlace(x, s.FromFloat32s([]float32{3.5, 2, 3.5}, 3), 0.5)
	assert.Equal(t, live+1, Live(), "only the lerp end was created")
	assert.Equal(t, []float32{2.5, 1, 3.5}, s.Float32s(x))
	s.AddcmulInPlace(x, x, x) // x + x²
	assert.Equal(t, []float32{8.75, 2, 15.75}, s.Float32s(x))
	s.ZeroInPlace(x)
	assert.Equal(t, []float32{0, 0, 0}, s.Float32s(x))
	require.NoError(t, s.Err())
}

func TestAutogradThroughScopes(t *testing.T) {
	locked(func() {
		s := NewScope()
		defer s.Close()
		w := s.RequiringGrad(s.FromFloat64s([]float64{1, 2, 3}, 3), true)
		assert.True(t, w.RequiresGrad())
		assert.Nil(t, s.Grad(w), "no gradient before backward")
		loss := s.Run(func(c *Scope) *Tensor { return c.Sum(c.Mul(w, w)) }) // Σw²
		s.Backward(loss)
		g := s.Grad(w)
		require.NoError(t, s.Err())
		assert.Equal(t, []float64{2, 4, 6}, s.Float64s(g), "d/dw Σw² = 2w, the block's temporaries freed before backward")
		prev := SetGradEnabled(false)
		assert.True(t, prev)
		assert.False(t, GradEnabled())
		assert.False(t, s.Mul(w, w).RequiresGrad(), "no graph with grad mode off")
		SetGradEnabled(true)
	})
}

// libtorch reports errors in a per-thread slot: the test runs on one
// locked OS thread, as all dskd code that calls libtorch does.
func TestStoreRoundTrip(t *testing.T) {
	locked(func() {
		s := NewScope()
		defer s.Close()
		vs := nn.NewVarStore(gotch.CPU)
		w, err := AddVar(vs.Root().Sub("layer"), "weight", s.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2), true)
		require.NoError(t, err)
		b, err := AddVar(vs.Root().Sub("layer"), "running_mean", s.FromFloat32s([]float32{5, 6}, 2), false)
		require.NoError(t, err)
		assert.True(t, w.RequiresGrad())
		assert.False(t, b.RequiresGrad())
		w.Free() // borrowed: ignored
		assert.False(t, w.Freed())
		vars := Vars(vs)
		require.Len(t, vars, 2)
		assert.Equal(t, "layer.running_mean", vars[0].Name)
		assert.False(t, vars[0].Trainable)
		assert.Equal(t, "layer.weight", vars[1].Name)
		assert.True(t, vars[1].Trainable)

		path := filepath.Join(t.TempDir(), "w.pt")
		require.NoError(t, SaveStore(vs, path))
		got := s.LoadNamed(path, gotch.CPU)
		require.NoError(t, s.Err())
		assert.Equal(t, []float32{1, 2, 3, 4}, s.Float32s(got["layer.weight"]))
		assert.Equal(t, []float32{5, 6}, s.Float32s(got["layer.running_mean"]))

		s2 := NewScope()
		assert.Nil(t, s2.LoadNamed(filepath.Join(t.TempDir(), "missing.pt"), gotch.CPU))
		assert.ErrorContains(t, s2.Err(), "aten: load ")
		assert.Error(t, SaveNamed(path, []string{"a"}, nil))
		runtime.KeepAlive(vs)
	})
}

func TestMallocSettings(t *testing.T) {
	assert.False(t, userTunedMalloc([]string{"HOME=/root", "DSKD_MALLOC=tuned"}))
	assert.True(t, userTunedMalloc([]string{"MALLOC_TOP_PAD_=1"}))
	assert.True(t, userTunedMalloc([]string{"MALLOC_ARENA_MAX=2"}))
	assert.True(t, userTunedMalloc([]string{"GLIBC_TUNABLES=glibc.malloc.trim_threshold=1"}))
	assert.False(t, userTunedMalloc([]string{"GLIBC_TUNABLES=glibc.rtld.nns=2"}))
}

// Importing the package tunes nothing; TuneMalloc acts once and reports
// its decision.
func TestMallocIsExplicit(t *testing.T) {
	assert.False(t, tunedAtImport, "the allocator was tuned before TestMain called TuneMalloc")
	got := TuneMalloc() // TestMain's call decided
	assert.True(t, mallocTuned())
	assert.Equal(t, got, TuneMalloc(), "later calls return the first decision")
	switch got.Policy {
	case MallocTuned:
		assert.Empty(t, got.Reason)
		assert.Equal(t, []string{"M_MMAP_THRESHOLD=1073741824", "M_TRIM_THRESHOLD=2147483647", "M_TOP_PAD=268435456", "M_ARENA_MAX=1"}, got.Settings)
	case MallocSystem:
		assert.NotEmpty(t, got.Reason)
		assert.Nil(t, got.Settings)
	default:
		t.Fatalf("policy %q", got.Policy)
	}
	if os.Getenv("DSKD_MALLOC") == "" && !userTunedMalloc(os.Environ()) {
		assert.Equal(t, MallocTuned, got.Policy, "glibc, no opt-out: dskd's setting")
	}
	// The opt-outs decide without touching malloc.
	assert.Equal(t, MallocSetting{Policy: MallocSystem, Reason: "DSKD_MALLOC=system"}, tuneMalloc("SYSTEM", nil))
	assert.Equal(t, MallocSystem, tuneMalloc("", []string{"MALLOC_ARENA_MAX=2"}).Policy)
}

func TestTrimTorchMessage(t *testing.T) {
	msg := "Given groups=1, weight of size [5, 2, 3, 3], expected input[2, 3, 4, 4] to have 2 channels\nException raised from check_shape_forward at ../aten/src/ATen/native/Convolution.cpp:631 (most recent call first):\nframe #0: c10::Error"
	assert.Equal(t, "Given groups=1, weight of size [5, 2, 3, 3], expected input[2, 3, 4, 4] to have 2 channels", trimTorchMessage(msg))
}

func TestFullAndTotals(t *testing.T) {
	s := NewScope()
	defer s.Close()
	for _, v := range []float64{0, 1, 2.5} {
		assert.Equal(t, []float32{float32(v), float32(v)}, s.Float32s(s.Full([]int64{2}, v, gotch.Float, gotch.CPU)))
	}
	a := s.FromFloat32s([]float32{1}, 1)
	assert.Nil(t, s.Totals())
	assert.Same(t, a, s.Totals(nil, a))
	assert.Equal(t, []float32{3}, s.Float32s(s.Totals(a, nil, a, a)))
	assert.False(t, math.IsNaN(float64(s.Float32s(a)[0])))
	require.NoError(t, s.Err())
}

func TestAutocastRunsConvolutionsInBFloat16(t *testing.T) {
	require.NoError(t, CheckShim())
	locked(func() {
		s := NewScope()
		defer s.Close()
		x := s.Randn([]int64{1, 2, 8, 8}, gotch.Float, gotch.CPU)
		w := s.Randn([]int64{3, 2, 3, 3}, gotch.Float, gotch.CPU)
		var y, sum *Tensor
		assert.False(t, AutocastEnabled(gotch.CPU))
		err := Autocast(gotch.CPU, gotch.BFloat16, func() error {
			assert.True(t, AutocastEnabled(gotch.CPU))
			y = s.Conv2d(x, w, nil, 1, 1)
			sum = s.Sum(y)
			return s.Err()
		})
		require.NoError(t, err)
		assert.False(t, AutocastEnabled(gotch.CPU), "the previous state is restored")
		assert.Equal(t, gotch.BFloat16, y.DType(), "conv2d runs in bfloat16 under autocast")
		ref := s.Conv2d(x, w, nil, 1, 1)
		assert.Equal(t, gotch.Float, ref.DType(), "and in float32 outside")
		a, b := s.Float32s(y), s.Float32s(ref)
		for i := range a {
			assert.InDelta(t, b[i], a[i], 0.05*math.Max(1, math.Abs(float64(b[i]))), "element %d", i)
		}
		assert.NotNil(t, sum)
		assert.ErrorContains(t, Autocast(gotch.CPU, gotch.Float, func() error { return nil }), "want BFloat16 or Half")
	})
}

// The cuDNN switches are libtorch's own global flags: what is set is read
// back through libtorch, and the defaults are PyTorch's.
func TestCudnnSwitchesRoundTrip(t *testing.T) {
	require.NoError(t, CheckShim())
	assert.False(t, CudnnDeterministic(), "libtorch's default")
	assert.True(t, TF32(), "libtorch's default")
	SetCudnnDeterministic(true)
	SetTF32(false)
	assert.True(t, CudnnDeterministic())
	assert.False(t, TF32())
	SetCudnnDeterministic(false)
	SetTF32(true)
	assert.False(t, CudnnDeterministic())
	assert.True(t, TF32())
}
