package study

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/runlock"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// studyChildEnv makes the test binary run tinyStudy in the folder it names
// (data in the folder named by childEnv), blocking in run
// dskd/fold-1_seed-1 after its epoch 1, until the parent kills it.
const studyChildEnv = "DSKD_STUDY_CHILD_DIR"

// tinyStudy is a 2-arm, 2-fold grid of tiny runs on a generated folder.
func tinyStudy(dataDir string) Spec {
	c := tinyConfigIn("", 4)
	c.Overlays = -1
	return Spec{Layout: LayoutFolder, Data: dataDir, Folds: 3, FoldIDs: []int{0, 1}, Seeds: []int64{1},
		Presets: []string{"unet", "dskd"}, Config: c}
}

// runStudyChild is the child's side of TestStudyResumesAfterKill.
func runStudyChild(dir, dataDir string) error {
	_, err := Run(context.Background(), dir, tinyStudy(dataDir), Options{Jobs: 2, Threads: 2, Logger: quietLogger(),
		Hooks: func(r Job) dskd.Hooks {
			return dskd.Hooks{OnEpochEnd: func(e dskd.EpochInfo) error {
				if r.ID() == "dskd/fold-1_seed-1" && e.Record.Epoch == 1 {
					time.Sleep(time.Hour) // the parent kills us here
				}
				return nil
			}}
		}})
	return err
}

// comparableRows drops what legitimately differs between two executions.
func comparableRows(rows []Row) []Row {
	out := append([]Row(nil), rows...)
	for i := range out {
		out[i].WallSeconds, out[i].TrainSeconds = 0, 0
	}
	return out
}

func TestStudyResumesToTheSameResults(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 48)
	spec := tinyStudy(dataDir)

	straightDir := t.TempDir()
	want, err := Run(context.Background(), straightDir, spec, Options{Jobs: 1, Threads: 1, Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, want.Rows, 4)
	assert.False(t, want.Stopped)
	assert.Equal(t, []string{"unet", "unet", "dskd", "dskd"}, []string{want.Rows[0].Arm, want.Rows[1].Arm, want.Rows[2].Arm, want.Rows[3].Arm})
	for _, r := range want.Rows {
		assert.Equal(t, 4, r.Epochs)
		assert.Equal(t, 1, r.Threads)
		assert.False(t, math.IsNaN(r.Score("dice_pooled")), "run %s has a held-out Dice", r.Dir)
		assert.Greater(t, r.WallSeconds, 0.0)
	}
	checkReportFiles(t, want)

	t.Run("stopped by a hook, then resumed with two jobs", func(t *testing.T) {
		dir := t.TempDir()
		part, err := Run(context.Background(), dir, spec, Options{Jobs: 2, Threads: 2, Logger: quietLogger(),
			Hooks: func(r Job) dskd.Hooks {
				return dskd.Hooks{OnEpochEnd: func(e dskd.EpochInfo) error {
					if r.ID() == "unet/fold-1_seed-1" && e.Record.Epoch == 1 {
						return dskd.ErrStop
					}
					return nil
				}}
			}})
		require.NoError(t, err)
		assert.True(t, part.Stopped)
		assert.Less(t, len(part.Rows), 4)
		got, first := resumeStudy(t, dir, spec, want)
		assert.Equal(t, 2, first.get("unet/fold-1_seed-1"), "the stopped run resumed after its epoch 1")
		assert.Equal(t, -1, first.get("unet/fold-0_seed-1"), "finished runs are not trained again")

		// A third call only reports, and writes the same files.
		before, err := os.ReadFile(filepath.Join(dir, CSVFile))
		require.NoError(t, err)
		again, err := Run(context.Background(), dir, spec, Options{Logger: quietLogger(), Hooks: func(r Job) dskd.Hooks {
			t.Errorf("run %s trained again", r.ID())
			return dskd.Hooks{}
		}})
		require.NoError(t, err)
		assert.Equal(t, got.Rows, again.Rows)
		after, err := os.ReadFile(filepath.Join(dir, CSVFile))
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after))

		// The saved spec alone reports the same.
		saved, err := LoadSpec(dir)
		require.NoError(t, err)
		fromSaved, err := Run(context.Background(), dir, saved, Options{ReportOnly: true, Logger: quietLogger()})
		require.NoError(t, err)
		assert.Equal(t, got.Rows, fromSaved.Rows)

		// A changed configuration under the same folder names is refused.
		changed := spec
		changed.Config.LR = 4e-3
		_, err = Run(context.Background(), dir, changed, Options{Logger: quietLogger()})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "4 run folders do not fit the grid")
		assert.Contains(t, err.Error(), "lr: 0.005 -> 0.004")
		saved, err = LoadSpec(dir)
		require.NoError(t, err)
		assert.Equal(t, 5e-3, saved.Config.LR, "a refused spec is not saved")
	})

	t.Run("killed, then resumed", func(t *testing.T) {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), studyChildEnv+"="+dir, childEnv+"="+dataDir)
		require.NoError(t, cmd.Start())
		// The fold-0 runs may still be training when dskd/fold-1 blocks (with
		// two jobs, unet/fold-1 can finish before dskd/fold-0 on a loaded
		// machine), so the kill also waits for their results: the check
		// below is that finished runs are not trained again.
		waitFor := []string{
			filepath.Join(dir, "runs", "dskd", "fold-1_seed-1", "checkpoints", "epoch-0001", "state.json"),
			filepath.Join(dir, "runs", "unet", "fold-0_seed-1", studyResultFile),
			filepath.Join(dir, "runs", "dskd", "fold-0_seed-1", studyResultFile),
		}
		deadline := time.Now().Add(3 * time.Minute)
		for _, f := range waitFor {
			for {
				if _, err := os.Stat(f); err == nil {
					break
				}
				require.True(t, time.Now().Before(deadline), "the child never wrote %s", f)
				time.Sleep(5 * time.Millisecond)
			}
		}
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		_, err := os.Stat(filepath.Join(dir, "runs", "dskd", "fold-1_seed-1", studyResultFile))
		require.ErrorIs(t, err, os.ErrNotExist, "the killed run did not finish")
		var killed runMeta
		require.NoError(t, readJSONFile(filepath.Join(dir, "runs", "dskd", "fold-1_seed-1", studyRunFile), &killed))
		assert.Greater(t, killed.WallSeconds, 0.0, "the wall time to the epoch-1 checkpoint survives the kill")

		_, first := resumeStudy(t, dir, spec, want)
		assert.Equal(t, 2, first.get("dskd/fold-1_seed-1"), "the killed run resumed after its epoch 1")
		assert.Equal(t, -1, first.get("unet/fold-0_seed-1"), "runs finished before the kill are not trained again")
		assert.Equal(t, -1, first.get("dskd/fold-0_seed-1"))
	})
}

// resumeStudy runs the study in dir again, with two jobs, requires the
// rows of want (times aside) and returns what each run trained.
func resumeStudy(t *testing.T, dir string, spec Spec, want *Result) (*Result, *firstEpochs) {
	t.Helper()
	first := &firstEpochs{}
	got, err := Run(context.Background(), dir, spec, Options{Jobs: 2, Threads: 2, Logger: quietLogger(), Hooks: first.hooks})
	require.NoError(t, err)
	assert.Equal(t, comparableRows(want.Rows), comparableRows(got.Rows))
	return got, first
}

// firstEpochs records the first epoch each run trains in a study call.
type firstEpochs struct {
	mu    sync.Mutex
	first map[string]int
}

func (f *firstEpochs) hooks(r Job) dskd.Hooks {
	return dskd.Hooks{OnStep: func(s dskd.StepInfo) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.first == nil {
			f.first = map[string]int{}
		}
		if _, ok := f.first[r.ID()]; !ok {
			f.first[r.ID()] = s.Epoch
		}
		return nil
	}}
}

// get returns the first epoch run id trained, -1 when it trained none.
func (f *firstEpochs) get(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.first[id]; ok {
		return e
	}
	return -1
}

// checkReportFiles compares results.csv and results.md with the rows, and
// the paired interval with its hand-computed value: with one pair in each
// of two folds, a fold bootstrap draws each difference with probability
// 1/4 for both folds, so the 95 % interval spans the two differences.
func checkReportFiles(t *testing.T, res *Result) {
	t.Helper()
	f, err := os.Open(filepath.Join(res.Dir, CSVFile))
	require.NoError(t, err)
	defer f.Close()
	table, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, table, 1+len(res.Rows))
	col := map[string]int{}
	for i, name := range table[0] {
		col[name] = i
	}
	for i, r := range res.Rows {
		line := table[i+1]
		assert.Equal(t, r.Arm, line[col["arm"]])
		assert.Equal(t, r.Hash, line[col["config_hash"]])
		assert.Equal(t, strconv.Itoa(r.BestEpoch), line[col["best_epoch"]])
		for _, k := range []string{"dice_pooled", "dice_mean", "cldice_pooled", "auc_mean", "val_dice"} {
			v, err := strconv.ParseFloat(line[col[k]], 64)
			require.NoError(t, err, k)
			assert.Equal(t, r.Score(k), v, k)
		}
	}

	md, err := os.ReadFile(filepath.Join(res.Dir, MarkdownFile))
	require.NoError(t, err)
	u0, u1, d0, d1 := res.Rows[0].Score("dice_pooled"), res.Rows[1].Score("dice_pooled"), res.Rows[2].Score("dice_pooled"), res.Rows[3].Score("dice_pooled")
	unet := fmt.Sprintf("| unet | 2 | %.4f ± %.4f |", (u0+u1)/2, math.Abs(u0-u1)/math.Sqrt2)
	assert.Contains(t, string(md), unet)
	lo, hi := math.Min(d0-u0, d1-u1), math.Max(d0-u0, d1-u1)
	mean := (d0 - u0 + d1 - u1) / 2
	assert.Contains(t, string(md), fmt.Sprintf("| dskd | unet | Dice (pooled) | 2 | %s | [%s, %s] |", fmtSigned(mean), fmtSigned(lo), fmtSigned(hi)))

	pf, err := os.Open(filepath.Join(res.Dir, StudyPlotFile))
	require.NoError(t, err)
	defer pf.Close()
	img, err := png.Decode(pf)
	require.NoError(t, err)
	assert.Equal(t, 400, img.Bounds().Dy())

	raw, err := os.ReadFile(filepath.Join(res.Dir, HTMLFile))
	require.NoError(t, err)
	page := html.UnescapeString(string(raw))
	assert.Contains(t, page, fmt.Sprintf("%s [%s, %s] vs unet", fmtSigned(mean), fmtSigned(lo), fmtSigned(hi)), "study.html carries the paired difference")
	for _, r := range res.Rows {
		assert.Contains(t, page, filepath.ToSlash(filepath.Join(r.Dir, "report.html")), "study.html links each run's report")
	}
}

// A study folder has one writer: a second study (or report) on it is
// refused while the first holds it.
func TestStudyFolderHasOneWriter(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 48)
	dir := t.TempDir()
	held, err := runlock.Acquire(dir)
	require.NoError(t, err)
	defer held.Release()
	_, err = Run(context.Background(), dir, tinyStudy(dataDir), Options{ReportOnly: true, Logger: quietLogger()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "study: "+dir+" is in use by process ")
}
