package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchNames lists the sample names of batches, in order.
func batchNames(bs []*Batch) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Names...)
	}
	return out
}

// The 6 generic samples on 2 and 3 ranks: every sample exactly once per
// epoch, disjoint shards of equal length, and rank r's k-th sample is the
// single process's (k·count + r)-th, with the same augmentation.
func TestShardsCoverEverySampleOnceAndKeepTheGlobalOrder(t *testing.T) {
	s := genericSamples(t)
	base := IteratorConfig{BatchSize: 1, Seed: 5, Shuffle: true, Augment: DefaultAugment(32), Normalize: NormZScore}
	for epoch := 0; epoch < 2; epoch++ {
		whole := collect(t, s, base, epoch)
		global := batchNames(whole)
		require.Len(t, global, 6)
		for _, count := range []int{2, 3} {
			seen := map[string]int{}
			for rank := 0; rank < count; rank++ {
				cfg := base
				cfg.Shard = Shard{Rank: rank, Count: count}
				got := collect(t, s, cfg, epoch)
				require.Len(t, got, 6/count, "epoch %d count %d rank %d", epoch, count, rank)
				for k, b := range got {
					want := whole[k*count+rank]
					assert.Equal(t, want.Names, b.Names, "epoch %d count %d rank %d position %d", epoch, count, rank, k)
					assert.Equal(t, want.Images, b.Images, "same augmentation whichever rank serves the sample")
					seen[b.Names[0]]++
				}
			}
			assert.Len(t, seen, 6, "epoch %d count %d: every sample served", epoch, count)
			for n, c := range seen {
				assert.Equal(t, 1, c, "epoch %d count %d: %s served once", epoch, count, n)
			}
		}
	}
}

// 6 samples on 4 ranks: ceil(6/4) = 2 each; the epoch's order is padded
// with its own first two samples, which are served twice.
func TestShardPaddingRepeatsTheStartOfTheOrder(t *testing.T) {
	s := genericSamples(t)
	base := IteratorConfig{BatchSize: 2, Seed: 9, Shuffle: true}
	global := batchNames(collect(t, s, base, 1))
	padded := append(append([]string{}, global...), global[:2]...)
	for rank := 0; rank < 4; rank++ {
		cfg := base
		cfg.Shard = Shard{Rank: rank, Count: 4}
		got := collect(t, s, cfg, 1)
		require.Len(t, got, 1, "one batch of 2 on every rank")
		assert.Equal(t, []string{padded[rank], padded[4+rank]}, got[0].Names, "rank %d", rank)
	}
	assert.Equal(t, 2, Shard{Rank: 3, Count: 4}.Len(6))
	assert.Equal(t, 6, Shard{}.Len(6))
	// More ranks than samples: the order repeats cyclically.
	assert.Equal(t, []int{2}, Shard{Rank: 2, Count: 5}.take([]int{0, 1, 2}))
	assert.Equal(t, []int{1}, Shard{Rank: 4, Count: 5}.take([]int{0, 1, 2}))
}

func TestShardValidation(t *testing.T) {
	s := genericSamples(t)
	for _, sh := range []Shard{{Rank: 2, Count: 2}, {Rank: -1, Count: 2}, {Count: -1}} {
		_, err := NewIterator(s, IteratorConfig{Shard: sh}, 0)
		assert.ErrorContains(t, err, "Shard rank", "%+v", sh)
	}
	it, err := NewIterator(s, IteratorConfig{Shard: Shard{Rank: 0, Count: 1}}, 0)
	require.NoError(t, err)
	assert.Equal(t, 6, it.Len(), "count 1 is no sharding")
	require.NoError(t, it.Close())
}
