package study

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/dskd"
)

// childEnv names the data folder of a child test process (see TestMain).
const childEnv = "DSKD_STUDY_CHILD_DATA"

func TestMain(m *testing.M) {
	if dir := os.Getenv(studyChildEnv); dir != "" {
		if err := runStudyChild(dir, os.Getenv(childEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tinyConfigIn is a run small enough for CI (a depth-2, base-4 U-Net on
// full images), writing into outDir.
func tinyConfigIn(outDir string, epochs int) dskd.Config {
	c := dskd.Config{Epochs: epochs, BatchSize: 4, CropSize: -1, LR: 5e-3, Threads: 2, Workers: 2, Overlays: 2, OutDir: outDir}
	c.Model.Depth = 2
	c.Model.Base = 4
	c.Schedule.Name = "constant"
	return c
}

func writeSyntheticFolder(t testing.TB, dir string, n, size int) {
	t.Helper()
	require.NoError(t, synth.WriteGeneric(dir, n, size, 7))
}

func quietLogger() *zerolog.Logger {
	l := zerolog.New(io.Discard)
	return &l
}
