package data

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func genericSamples(t *testing.T) []Sample {
	s, err := OpenFolder(td("generic"))
	require.NoError(t, err)
	return s
}

func collect(t *testing.T, s []Sample, cfg IteratorConfig, epoch int) []*Batch {
	t.Helper()
	it, err := NewIterator(s, cfg, epoch)
	require.NoError(t, err)
	defer it.Close()
	var out []*Batch
	for it.Next() {
		out = append(out, it.Batch())
	}
	require.NoError(t, it.Err())
	return out
}

func TestIteratorDeterministicAcrossWorkerCounts(t *testing.T) {
	s := genericSamples(t)
	cfg := IteratorConfig{BatchSize: 4, Seed: 11, Shuffle: true, Augment: DefaultAugment(48), Normalize: NormZScore}
	cfg.Workers, cfg.Prefetch = 1, 1
	ref := collect(t, s, cfg, 3)
	require.Len(t, ref, 2) // 6 samples, batch 4, keep last
	assert.Equal(t, 4, ref[0].N)
	assert.Equal(t, 2, ref[1].N)
	assert.Equal(t, []int64{4, 1, 48, 48}, ref[0].Shape())
	assert.Len(t, ref[0].Images, 4*48*48)
	assert.Len(t, ref[0].Masks, 4*48*48)
	for _, w := range []int{2, 3, 8} {
		cfg.Workers, cfg.Prefetch = w, 0
		got := collect(t, s, cfg, 3)
		require.Len(t, got, len(ref))
		for i := range ref {
			assert.Equal(t, ref[i].Names, got[i].Names, "workers %d batch %d", w, i)
			assert.Equal(t, ref[i].Images, got[i].Images, "workers %d batch %d", w, i)
			assert.Equal(t, ref[i].Masks, got[i].Masks, "workers %d batch %d", w, i)
		}
	}
	other := collect(t, s, cfg, 4)
	assert.NotEqual(t, ref[0].Images, other[0].Images, "a new epoch reshuffles and re-augments")
}

func TestIteratorShuffleDropLastAndOrder(t *testing.T) {
	s := genericSamples(t)
	plain := collect(t, s, IteratorConfig{BatchSize: 4, DropLast: true}, 0)
	require.Len(t, plain, 1)
	assert.Equal(t, []string{"000", "001", "002", "003"}, plain[0].Names)
	seen := map[string]bool{}
	for _, b := range collect(t, s, IteratorConfig{BatchSize: 4, Shuffle: true, Seed: 1}, 0) {
		for _, n := range b.Names {
			seen[n] = true
		}
	}
	assert.Len(t, seen, 6, "every sample once per epoch")
}

func TestIteratorBatchMatchesLoadSample(t *testing.T) {
	s := genericSamples(t)
	b := collect(t, s, IteratorConfig{BatchSize: 2}, 0)[0]
	img, mask, err := LoadSample(s[1])
	require.NoError(t, err)
	hw := b.H * b.W
	assert.Equal(t, img.Pix, b.Images[hw:2*hw])
	assert.Equal(t, mask.Pix, b.Masks[hw:2*hw])
}

func TestSequentialFullSizeOneAtATime(t *testing.T) {
	d, err := OpenDCA1(td("dca1"))
	require.NoError(t, err)
	x, err := OpenXCAD(td("xcad"))
	require.NoError(t, err)
	mixed := append(append([]Sample{}, d.Samples[:1]...), x.Labelled[:1]...)
	it, err := Sequential(mixed, NormNone)
	require.NoError(t, err)
	defer it.Close()
	var sizes []int
	for it.Next() {
		sizes = append(sizes, it.Batch().W)
	}
	require.NoError(t, it.Err())
	assert.Equal(t, []int{300, 512}, sizes)
}

func TestIteratorMixedSizesInOneBatchIsAnError(t *testing.T) {
	d, _ := OpenDCA1(td("dca1"))
	x, _ := OpenXCAD(td("xcad"))
	it, err := NewIterator([]Sample{d.Samples[0], x.Labelled[0]}, IteratorConfig{BatchSize: 2}, 0)
	require.NoError(t, err)
	defer it.Close()
	assert.False(t, it.Next())
	assert.ErrorContains(t, it.Err(), "set Augment.CropSize or BatchSize 1")
}

func TestIteratorReportsDecodeErrors(t *testing.T) {
	s, err := OpenFolder(td("bad", "truncated_pair"))
	require.NoError(t, err)
	it, err := NewIterator(s, IteratorConfig{Workers: 2}, 0)
	require.NoError(t, err)
	defer it.Close()
	require.True(t, it.Next())
	assert.Equal(t, []string{"a"}, it.Batch().Names)
	assert.False(t, it.Next())
	assert.ErrorContains(t, it.Err(), "b.png: decoding")
	assert.False(t, it.Next(), "stays stopped")
}

func TestIteratorUnlabelledHasNilMasks(t *testing.T) {
	x, err := OpenXCAD(td("xcad"))
	require.NoError(t, err)
	b := collect(t, x.Unlabelled, IteratorConfig{BatchSize: 2, Augment: AugmentConfig{CropSize: 64}}, 0)
	require.Len(t, b, 1)
	assert.Nil(t, b[0].Masks)
	assert.Len(t, b[0].Images, 2*64*64)
	_, err = NewIterator(append([]Sample{x.Labelled[0]}, x.Unlabelled...), IteratorConfig{}, 0)
	assert.ErrorContains(t, err, "do not mix labelled and unlabelled")
}

func TestIteratorConfigErrors(t *testing.T) {
	_, err := NewIterator(nil, IteratorConfig{}, 0)
	assert.ErrorContains(t, err, "data: NewIterator: no samples")
	s := genericSamples(t)
	_, err = NewIterator(s, IteratorConfig{BatchSize: -1}, 0)
	assert.ErrorContains(t, err, "BatchSize -1")
	_, err = NewIterator(s, IteratorConfig{Normalize: 7}, 0)
	assert.ErrorContains(t, err, "unknown Normalize 7")
	_, err = NewIterator(s, IteratorConfig{Augment: AugmentConfig{CropSize: 65}}, 0)
	require.NoError(t, err) // crop checked per image
}

func TestIteratorCloseLeaksNoGoroutines(t *testing.T) {
	s := genericSamples(t)
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		it, err := NewIterator(s, IteratorConfig{Workers: 4, Prefetch: 2, Augment: DefaultAugment(32)}, i)
		require.NoError(t, err)
		if i%2 == 0 {
			require.True(t, it.Next()) // abandon mid-epoch
		}
		require.NoError(t, it.Close())
		require.NoError(t, it.Close(), "Close is idempotent")
		assert.False(t, it.Next())
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before)
}

// Skip resumes an epoch mid-way: the batches after the skipped ones are
// exactly those of the full epoch.
func TestIteratorSkipYieldsTheRestOfTheEpoch(t *testing.T) {
	s := genericSamples(t)
	cfg := IteratorConfig{BatchSize: 2, Seed: 5, Shuffle: true, Augment: DefaultAugment(48), Normalize: NormZScore}
	full := collect(t, s, cfg, 2)
	require.Len(t, full, 3)
	cfg.Skip = 2
	rest := collect(t, s, cfg, 2)
	require.Len(t, rest, 1)
	assert.Equal(t, full[2].Names, rest[0].Names)
	assert.Equal(t, full[2].Images, rest[0].Images)
	assert.Equal(t, 2, rest[0].Index)
	cfg.Skip = 3
	assert.Empty(t, collect(t, s, cfg, 2), "skipping every batch leaves none")
	cfg.Skip = 4
	_, err := NewIterator(s, cfg, 2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Skip 4, but the epoch has 3 batches")
}
