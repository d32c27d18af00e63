package dskd

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary run one short training and print a hash of
// the final weights instead of running the tests (see TestMain).
const childEnv = "DSKD_REPEAT_CHILD_DIR"

// killChildEnv makes the test binary train into the run folder it names
// until the parent kills it (see TestResumeAfterKill).
const killChildEnv = "DSKD_KILL_CHILD_RUN"

func TestMain(m *testing.M) {
	if spec := os.Getenv(distChildEnv); spec != "" {
		if err := runDistChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	if run := os.Getenv(killChildEnv); run != "" {
		dataDir := os.Getenv(childEnv)
		split, err := splitFromDir(dataDir)
		if err == nil {
			_, err = Train(context.Background(), killConfig(run), split, Options{Logger: quietLogger()})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	if dir := os.Getenv(childEnv); dir != "" {
		hash, err := childTraining(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		fmt.Println("weights", hash)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childTraining trains a tiny model for two short epochs on the data in
// dataDir (written by the parent) and hashes the resulting weights.
func childTraining(dataDir string) (string, error) {
	split, err := splitFromDir(dataDir)
	if err != nil {
		return "", err
	}
	out, err := os.MkdirTemp("", "dskd-child-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(out)
	cfg := tinyConfigIn(out, 2)
	cfg.Overlays = -1
	if _, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()}); err != nil {
		return "", err
	}
	dir, err := LatestCheckpoint(out)
	if err != nil {
		return "", err
	}
	return hashWeights(filepath.Join(dir, modelFile))
}

func hashWeights(path string) (string, error) {
	w, err := loadWeights(path)
	if err != nil {
		return "", err
	}
	return hashValues(w)[:16], nil
}

// hashValues is the SHA-256 (hex) of named values, in name order.
func hashValues(w map[string][]float64) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		for _, v := range w[n] {
			_ = binary.Write(h, binary.LittleEndian, math.Float64bits(v))
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// A short training run repeated in 20 fresh processes never fails and always
// ends with bit-identical weights. Before all tensor work was pinned to one
// OS thread, 1 run in 4 to 8 crashed ("does not require grad") or silently
// trained some layers without gradients, which changes the weights.
func TestRepeatedRunsInSeparateProcesses(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 48)
	hashes := map[string]int{}
	for i := 0; i < 20; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dataDir)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "run %d failed:\n%s", i, out)
		line := ""
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "weights ") {
				line = strings.TrimPrefix(l, "weights ")
			}
		}
		require.NotEmpty(t, line, "run %d printed no weights hash:\n%s", i, out)
		hashes[line]++
	}
	assert.Len(t, hashes, 1, "all 20 runs must end with identical weights: %v", hashes)
}
