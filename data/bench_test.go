package data_test

import (
	"testing"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
)

// BenchmarkIterator512 measures decoding + augmentation throughput for 512x512
// PNGs, batch 4, random 256 crops, flips, 90° and small rotations/scales and
// intensity jitter, with z-score normalisation.
func BenchmarkIterator512(b *testing.B) {
	dir := b.TempDir()
	if err := synth.WriteGeneric(dir, 16, 512, 1); err != nil {
		b.Fatal(err)
	}
	samples, err := data.OpenFolder(dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg := data.IteratorConfig{BatchSize: 4, Shuffle: true, Augment: data.DefaultAugment(256), Normalize: data.NormZScore}
	b.ResetTimer()
	batches := 0
	for epoch := 0; batches < b.N; epoch++ {
		it, err := data.NewIterator(samples, cfg, epoch)
		if err != nil {
			b.Fatal(err)
		}
		for batches < b.N && it.Next() {
			batches++
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		it.Close()
	}
	b.ReportMetric(float64(batches)/b.Elapsed().Seconds(), "batches/s")
}
