package study

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/angioseg/dskd/dskd"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata/legacy-study is a study folder written by an earlier version
// of dskd (the commit before the package layout changed): run
// unet/fold-0_seed-1 finished, dskd/fold-0_seed-1 stopped after its epoch
// 1 (its checkpoint kept, the rest of its run folder dropped to keep the
// fixture small). Folders users wrote before must stay resumable: the
// finished run must be recognised (its config hash unchanged), the stopped
// one must resume from its checkpoint, and both must end where a run of
// today's code from scratch ends. DSKD_UPDATE_GOLDEN=1 writes the fixture
// again (only meaningful on the old code).
const legacyStudyDir = "testdata/legacy-study"

func legacySpec(dataDir string) Spec {
	s := tinyStudy(dataDir)
	s.FoldIDs = []int{0}
	return s
}

// keepInFixture says which files of a study folder the fixture keeps.
func keepInFixture(rel string) bool {
	base := filepath.Base(rel)
	switch {
	case rel == SpecFile, base == studyRunFile, base == studyResultFile:
		return true
	case strings.Contains(rel, filepath.Join("dskd", "fold-0_seed-1", "checkpoints", "epoch-0001")),
		strings.Contains(rel, filepath.Join("dskd", "fold-0_seed-1", "checkpoints", "best")):
		return strings.HasSuffix(base, ".pt") || base == "state.json" // the stopped run's newest and best checkpoints
	}
	return false
}

func writeLegacyFixture(t *testing.T, dataDir string) {
	dir := t.TempDir()
	_, err := Run(context.Background(), dir, legacySpec(dataDir), Options{Jobs: 1, Threads: 2, Logger: quietLogger(),
		Hooks: func(r Job) dskd.Hooks {
			return dskd.Hooks{OnEpochEnd: func(e dskd.EpochInfo) error {
				if r.Arm == "dskd" && e.Record.Epoch == 1 {
					return dskd.ErrStop
				}
				return nil
			}}
		}})
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(legacyStudyDir))
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !keepInFixture(rel) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == SpecFile { // the data folder is generated anew by the test
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			m["data"] = "DATA"
			if b, err = json.MarshalIndent(m, "", "  "); err != nil {
				return err
			}
		}
		dst := filepath.Join(legacyStudyDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	}))
}

// copyLegacyFixture copies the fixture into a temporary study folder,
// pointing its spec at dataDir.
func copyLegacyFixture(t *testing.T, dataDir string) string {
	dir := t.TempDir()
	require.NoError(t, filepath.WalkDir(legacyStudyDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(legacyStudyDir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == SpecFile {
			b = []byte(strings.Replace(string(b), `"DATA"`, `"`+dataDir+`"`, 1))
		}
		dst := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		return os.WriteFile(dst, b, 0o644)
	}))
	return dir
}

func TestLegacyStudyFolderResumes(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 48)
	if os.Getenv("DSKD_UPDATE_GOLDEN") == "1" {
		writeLegacyFixture(t, dataDir)
		return
	}
	want, err := Run(context.Background(), t.TempDir(), legacySpec(dataDir), Options{Jobs: 1, Threads: 2, Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, want.Rows, 2)

	dir := copyLegacyFixture(t, dataDir)
	saved, err := LoadSpec(dir)
	require.NoError(t, err)
	first := &firstEpochs{}
	got, err := Run(context.Background(), dir, saved, Options{Jobs: 1, Threads: 2, Logger: quietLogger(), Hooks: first.hooks})
	require.NoError(t, err, "a study folder of the earlier layout must resume")
	assert.Equal(t, -1, first.get("unet/fold-0_seed-1"), "the finished run is recognised, not trained again")
	assert.Equal(t, 2, first.get("dskd/fold-0_seed-1"), "the stopped run resumes after its epoch 1")
	assert.Equal(t, comparableRows(want.Rows), comparableRows(got.Rows))
}

// The fixture's files decode with today's types, and the configuration a
// run of it saved marshals to the same bytes: their hash identifies the run.
func TestLegacyStudyFilesDecode(t *testing.T) {
	spec, err := LoadSpec(legacyStudyDir)
	require.NoError(t, err)
	assert.Equal(t, []string{"unet", "dskd"}, spec.Presets)
	metas, err := filepath.Glob(filepath.Join(legacyStudyDir, "runs", "*", "*", studyRunFile))
	require.NoError(t, err)
	require.Len(t, metas, 2)
	for _, path := range metas {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var raw struct{ Config json.RawMessage }
		require.NoError(t, json.Unmarshal(b, &raw))
		var meta runMeta
		require.NoError(t, readJSONFile(path, &meta))
		got, err := json.Marshal(meta.Config)
		require.NoError(t, err)
		var want bytes.Buffer
		require.NoError(t, json.Compact(&want, raw.Config))
		assert.Equal(t, want.String(), string(got), path)
		eff, err := meta.Config.WithDefaults()
		require.NoError(t, err)
		assert.Equal(t, meta.Config, eff, "%s: the saved configuration is its own effective one", path)
	}
	states, err := filepath.Glob(filepath.Join(legacyStudyDir, "runs", "*", "*", "checkpoints", "*", "state.json"))
	require.NoError(t, err)
	require.NotEmpty(t, states)
	for _, path := range states {
		st, err := dskd.ReadState(filepath.Dir(path))
		require.NoError(t, err, path)
		assert.Equal(t, dskd.On, st.Config.CudnnBenchmark)
	}
}

// A study.json with an unknown field is an error naming its path and the
// file.
func TestLoadSpecNamesUnknownFields(t *testing.T) {
	for body, want := range map[string]string{
		`{"layout": "folder", "data": "d", "seeds": [1], "fold": 3}`:              `unknown field "fold" (did you mean "folds"?)`,
		`{"layout": "folder", "data": "d", "config": {"model": {"bsae": 4}}}`:     `unknown field "config.model.bsae" (did you mean "base"?)`,
		`{"layout": "folder", "data": "d", "sets": [{"path": "lr", "vals": []}]}`: `unknown field "sets[0].vals" (known: path, values)`,
		`{"layout": "folder", "data": "d", "config": {"epochs": "x"}}`:            `config.epochs: want an integer, got a JSON string`,
	} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, SpecFile), []byte(body), 0o644))
		_, err := LoadSpec(dir)
		assert.EqualError(t, err, "study: "+filepath.Join(dir, SpecFile)+": "+want, body)
	}
}
