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

// BenchmarkCheckSplit checks 1000 DCA1-like pairs (2000 PGM files,
// 300x300) with full decoding on all cores.
func BenchmarkCheckSplit(b *testing.B) {
	one := data.Sample{ImagePath: "../testdata/dca1/101.pgm", MaskPath: "../testdata/dca1/101_gt.pgm"}
	benchmarkCheckSplit(b, one, 1000, ".pgm")
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
	benchmarkCheckSplit(b, one[0], 500, ".png")
}

// benchmarkCheckSplit checks a split of n copies of the sample one.
func benchmarkCheckSplit(b *testing.B, one data.Sample, n int, ext string) {
	img, err := os.ReadFile(one.ImagePath)
	if err != nil {
		b.Fatal(err)
	}
	mask, err := os.ReadFile(one.MaskPath)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var split data.Split
	for i := range n {
		s := data.Sample{Name: fmt.Sprint(i), ImagePath: filepath.Join(dir, fmt.Sprint(i)+ext), MaskPath: filepath.Join(dir, fmt.Sprint(i)+"_gt"+ext)}
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
	b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "files/s")
}
