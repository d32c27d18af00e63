package dskd

import (
	"fmt"
	"io"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// syntheticSplit writes n generated size x size angiograms and splits them
// into train / val (2) / test (2).
func syntheticSplit(t testing.TB, n, size int) data.Split {
	t.Helper()
	dir := t.TempDir()
	writeSyntheticFolder(t, dir, n, size)
	split, err := splitFromDir(dir)
	require.NoError(t, err)
	return split
}

func writeSyntheticFolder(t testing.TB, dir string, n, size int) {
	t.Helper()
	require.NoError(t, synth.WriteGeneric(dir, n, size, 7))
}

// splitFromDir splits a generic folder into train / val (2) / test (2).
func splitFromDir(dir string) (data.Split, error) {
	samples, err := data.OpenFolder(dir)
	if err != nil {
		return data.Split{}, err
	}
	n := len(samples)
	if n < 6 {
		return data.Split{}, fmt.Errorf("%d samples in %s, want >= 6", n, dir)
	}
	return data.Split{Train: samples[:n-4], Val: samples[n-4 : n-2], Test: samples[n-2:]}, nil
}

// tinyConfig is a run small enough for CI: a depth-2, base-4 U-Net on
// full 64x64 images.
func tinyConfig(t testing.TB, epochs int) Config { return tinyConfigIn(t.TempDir(), epochs) }

// tinyConfigIn is tinyConfig writing into outDir (for child processes).
func tinyConfigIn(outDir string, epochs int) Config {
	c := Config{Epochs: epochs, BatchSize: 4, CropSize: -1, LR: 5e-3, Threads: 2, Workers: 2, Overlays: 2, OutDir: outDir}
	c.Model.Depth = 2
	c.Model.Base = 4
	c.Schedule.Name = "constant"
	return c
}

// loadWeights reads a saved model file into name -> values.
func loadWeights(path string) (map[string][]float64, error) {
	out := map[string][]float64{}
	err := engine.Run(func() error {
		s := aten.NewScope()
		defer s.Close()
		for name, t := range s.LoadNamed(path, gotch.CPU) {
			out[name] = s.Float64s(t)
		}
		return s.Err()
	})
	return out, err
}

func quietLogger() *zerolog.Logger {
	l := zerolog.New(io.Discard)
	return &l
}

func splitWithoutTrain(s data.Split) data.Split { s.Train = nil; return s }
