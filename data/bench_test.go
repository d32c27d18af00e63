package data_test

import (
	"fmt"
	"os"
	"path/filepath"
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

// BenchmarkCheckSplitPNG512 checks 500 XCAD-like pairs (1000 PNG files,
// 512x512) with full decoding on all cores.
func BenchmarkCheckSplitPNG512(b *testing.B) {
	src := b.TempDir()
	if err := synth.WriteGeneric(src, 1, 512, 1); err != nil {
		b.Fatal(err)
	}
	one, err := data.OpenFolder(src)
	if err != nil {
		b.Fatal(err)
	}
	img, err := os.ReadFile(one[0].ImagePath)
	if err != nil {
		b.Fatal(err)
	}
	mask, err := os.ReadFile(one[0].MaskPath)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var split data.Split
	for i := range 500 {
		s := data.Sample{Name: fmt.Sprint(i), ImagePath: filepath.Join(dir, fmt.Sprintf("%d.png", i)), MaskPath: filepath.Join(dir, fmt.Sprintf("%d_gt.png", i))}
		if err := os.WriteFile(s.ImagePath, img, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(s.MaskPath, mask, 0o644); err != nil {
			b.Fatal(err)
		}
		split.Train = append(split.Train, s)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := data.CheckSplit(split, data.CheckOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "files/s")
}
