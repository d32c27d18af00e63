package data

// Shard selects one process's share of every epoch in data-parallel
// training, the way PyTorch's DistributedSampler does: every rank computes
// the same seeded order of the N samples, pads it to a multiple of Count
// by repeating it from its start, and rank r takes positions r, r+Count,
// r+2·Count, ... So every rank serves ceil(N/Count) samples (the same
// number of batches everywhere, which lockstep training needs), the shards
// are disjoint and cover every sample once per epoch when Count divides
// N, and otherwise the first (Count - N mod Count) samples of the epoch's
// order are served twice. Batch b of the ranks together is the
// single-process batch b of size BatchSize·Count in the same order.
// The zero value (and Count 1) is no sharding.
type Shard struct {
	Rank  int // 0 .. Count-1
	Count int // number of ranks; 0 or 1: all samples
}

// Enabled reports whether s splits the samples.
func (s Shard) Enabled() bool { return s.Count > 1 }

func (s Shard) validate() error {
	if s.Count < 0 || (s.Count > 1 && (s.Rank < 0 || s.Rank >= s.Count)) {
		return errorf("NewIterator: Shard rank %d of %d: want 0 <= rank < count", s.Rank, s.Count)
	}
	return nil
}

// Len is the number of samples of n that each rank serves per epoch.
func (s Shard) Len(n int) int {
	if !s.Enabled() {
		return n
	}
	return (n + s.Count - 1) / s.Count
}

// take returns this rank's positions of order, padded as described above.
func (s Shard) take(order []int) []int {
	if !s.Enabled() {
		return order
	}
	per := s.Len(len(order))
	out := make([]int, per)
	for k := range out {
		out[k] = order[(k*s.Count+s.Rank)%len(order)]
	}
	return out
}
