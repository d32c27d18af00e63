package dskd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/distributed"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// distChildEnv makes the test binary run one rank of a distributed
// training (a JSON distSpec; the rank comes from the torchrun-style
// environment) instead of the tests.
const distChildEnv = "DSKD_DIST_CHILD"

// distSpec is what a rank trains.
type distSpec struct {
	Data, Out  string
	Resume     bool
	Epochs     int
	Steps      int    // steps per epoch
	Marker     string // written by rank MarkerRank at global step MarkerStep
	MarkerRank int
	MarkerStep int64
	// HashDir, when set, receives rank-R.txt: a hash of rank R's student
	// (weights and BatchNorm statistics) after global step HashStep.
	HashDir  string
	HashStep int64
	// Labels and Unlabelled make the run semi-supervised (semiConfig's
	// stream: the frames whose masks Labels hides).
	Labels     int
	Unlabelled bool
}

// distTestConfig: 2 samples per rank and step, one thread per rank (two
// ranks share the 2 cores of CI).
func distTestConfig(out string, epochs, steps int) Config {
	c := tinyConfigIn(out, epochs)
	c.BatchSize = 2
	c.StepsPerEpoch = steps
	c.Threads = 1
	c.Workers = 1
	c.Overlays = -1
	return c
}

// runDistChild trains one rank as spec says.
func runDistChild(specJSON string) error {
	var spec distSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return err
	}
	split, err := splitFromDir(spec.Data)
	if err != nil {
		return err
	}
	rank, _ := strconv.Atoi(os.Getenv(distributed.EnvRank))
	opts := Options{Logger: quietLogger()}
	opts.Hooks.OnStep = func(s StepInfo) error {
		if spec.Marker != "" && rank == spec.MarkerRank && s.GlobalStep == spec.MarkerStep {
			return os.WriteFile(spec.Marker, nil, 0o644)
		}
		if spec.HashDir != "" && s.GlobalStep == spec.HashStep {
			return os.WriteFile(filepath.Join(spec.HashDir, fmt.Sprintf("rank-%d.txt", rank)), []byte(replicaHash(s.Student)), 0o644)
		}
		return nil
	}
	if spec.Resume {
		_, err = Resume(context.Background(), spec.Out, split, opts)
	} else {
		cfg := distTestConfig(spec.Out, spec.Epochs, spec.Steps)
		if spec.Unlabelled {
			cfg.Labels = spec.Labels
			cfg.Unlabelled = &UnlabelledConfig{Ratio: 1, BatchSize: 2, RampEpochs: -1}
		}
		_, err = Train(context.Background(), cfg, split, opts)
	}
	return err
}

// replicaHash hashes every variable of a model (on the training thread).
func replicaHash(m models.Model) string {
	s := aten.NewScope()
	defer s.Close()
	w := map[string][]float64{}
	for _, v := range aten.Vars(m.VarStore()) {
		w[v.Name] = s.Float64s(v.T)
	}
	if err := s.Err(); err != nil {
		return err.Error()
	}
	return hashValues(w)
}

// ranks are child processes training together.
type ranks struct {
	cmds []*exec.Cmd
	outs []*bytes.Buffer
}

// startRanks starts n ranks of spec on a free loopback port; each waits
// at most timeout for the others.
func startRanks(t *testing.T, spec distSpec, n int, timeout time.Duration) *ranks {
	t.Helper()
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	port, err := distributed.FreePort("127.0.0.1")
	require.NoError(t, err)
	r := &ranks{}
	for rank := 0; rank < n; rank++ {
		c := distributed.Config{Rank: rank, WorldSize: n, LocalRank: rank, MasterAddr: "127.0.0.1", MasterPort: port, Timeout: timeout}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(append(os.Environ(), distChildEnv+"="+string(b)), c.Environ()...)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		r.cmds = append(r.cmds, cmd)
		r.outs = append(r.outs, out)
	}
	t.Cleanup(func() {
		for _, c := range r.cmds {
			if c.ProcessState == nil {
				_ = c.Process.Kill()
				_ = c.Wait()
			}
		}
	})
	return r
}

// wait waits for every rank and requires each to succeed.
func (r *ranks) wait(t *testing.T) {
	t.Helper()
	for i, c := range r.cmds {
		require.NoError(t, c.Wait(), "rank %d:\n%s", i, r.outs[i])
	}
}

// 2 ranks × batch 2 for 5 steps end with the weights (and rank 0's
// BatchNorm statistics) of one process that runs each rank's half of the
// global batch separately — so each half is normalised by its own
// BatchNorm statistics, as on its rank — and averages the two gradients.
func TestDistributedTrainingEqualsAveragedHalfBatches(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 24, 48) // 20 training samples: 5 steps of 2×2
	const steps = 5
	out := t.TempDir()
	r := startRanks(t, distSpec{Data: dataDir, Out: out, Epochs: 1, Steps: steps}, 2, time.Minute)
	r.wait(t)
	got, err := loadWeights(filepath.Join(out, checkpointsDir, epochDirName(0), modelFile))
	require.NoError(t, err)
	st, err := ReadState(filepath.Join(out, checkpointsDir, epochDirName(0)))
	require.NoError(t, err)
	assert.Equal(t, 2, st.WorldSize)
	assert.Equal(t, int64(steps), st.Step)

	split, err := splitFromDir(dataDir)
	require.NoError(t, err)
	want, meanLoss := averagedHalfBatches(t, distTestConfig(t.TempDir(), 1, steps), split, steps)
	require.Equal(t, len(want), len(got))
	for name, w := range want {
		g, ok := got[name]
		require.True(t, ok, name)
		require.Len(t, g, len(w), name)
		for i := range w {
			require.InDelta(t, w[i], g[i], 1e-5, "%s[%d]", name, i)
		}
	}
	// The epoch's loss is the mean over both ranks' batches.
	assert.InDelta(t, meanLoss, st.History[0].TrainLoss, 1e-6)
}

// averagedHalfBatches is the single-process reference: for each step, the
// batches ranks 1 and 0 would get (in that order, so that the BatchNorm
// statistics end as rank 0's), each forward and backward on its own,
// gradients accumulated and halved, one optimizer step.
func averagedHalfBatches(t *testing.T, cfg Config, split data.Split, steps int) (map[string][]float64, float64) {
	cfg, err := cfg.WithDefaults()
	require.NoError(t, err)
	tr := &trainer{cfg: cfg, split: split, state: State{Epoch: -1, Config: cfg, BestEpoch: -1, BestScore: -1}, log: *quietLogger()}
	tr.norm, _ = parseNorm(cfg.Normalize)
	weights := map[string][]float64{}
	lossSum := 0.0
	w := engine.NewWorker()
	defer w.Close()
	err = w.Do(func() error {
		if err := tr.build(""); err != nil {
			return err
		}
		defer tr.free()
		var its [2]*data.Iterator
		for rank := range its {
			it, err := data.NewIterator(split.Train, data.IteratorConfig{BatchSize: cfg.BatchSize, Workers: 1, Seed: cfg.Seed, Shuffle: true,
				Shard: data.Shard{Rank: rank, Count: 2}, DropLast: true, Augment: *cfg.Augment, Normalize: tr.norm}, 0)
			if err != nil {
				return err
			}
			defer it.Close()
			its[rank] = it
		}
		var buffers []*aten.Tensor
		for _, v := range aten.Vars(tr.student.VarStore()) {
			if !v.Trainable {
				buffers = append(buffers, v.T)
			}
		}
		lr := cfg.Schedule.LR(cfg.LR, 0, cfg.Epochs)
		for step := 0; step < steps; step++ {
			if !its[0].Next() || !its[1].Next() {
				return fmt.Errorf("step %d: no batch", step)
			}
			if err := tr.opt.ZeroGrad(); err != nil {
				return err
			}
			s := aten.NewScope()
			saved := make([]*aten.Tensor, len(buffers))
			for i, b := range buffers {
				saved[i] = s.CopyInPlace(s.ZerosLike(b), b)
			}
			half := func(b *data.Batch) error {
				x := input(s, b.Images, b.Shape(), tr.device)
				y := input(s, b.Masks, b.Shape(), tr.device)
				out, err := forward(tr.student, tr.device, cfg.Precision, x, true)
				if err != nil {
					return err
				}
				defer out.Free()
				loss, bd, err := tr.obj.Compute(out, nil, y, 0, cfg.Epochs)
				if err != nil {
					return err
				}
				s.Adopt(loss)
				s.Backward(loss)
				lossSum += bd.Total
				return s.Err()
			}
			if err := half(its[1].Batch()); err != nil {
				return err
			}
			err := engine.NoGrad(func() error {
				for i, b := range buffers {
					s.CopyInPlace(b, saved[i])
				}
				return s.Err()
			})
			if err != nil {
				return err
			}
			if err := half(its[0].Batch()); err != nil {
				return err
			}
			if _, err := tr.opt.ScaleGrads(0.5); err != nil {
				return err
			}
			if err := tr.opt.Step(lr); err != nil {
				return err
			}
			s.Close()
		}
		s := aten.NewScope()
		defer s.Close()
		for _, v := range aten.Vars(tr.student.VarStore()) {
			weights[v.Name] = s.Float64s(v.T)
		}
		return s.Err()
	})
	require.NoError(t, err)
	return weights, lossSum / float64(2*steps)
}

// A rank killed in the middle of training makes the other one fail with
// a peer error at its next collective — long before the 2-minute timeout
// (the test fails if it hangs that long).
func TestDistributedRankKilledEndsTheOtherWithAnError(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 24, 48)
	marker := filepath.Join(t.TempDir(), "step2")
	const timeout = 2 * time.Minute
	r := startRanks(t, distSpec{Data: dataDir, Out: t.TempDir(), Epochs: 50, Steps: 5, Marker: marker, MarkerRank: 1, MarkerStep: 2}, 2, timeout)
	waitForFile(t, marker, time.Minute)
	// Gloo writes to the dead peer's socket from a thread of its own; a
	// SIGPIPE there used to end rank 0 silently, now and then. Every
	// thread of rank 0 gets one now, so that the test fails every time
	// the process does not ignore it.
	sigpipeEveryThread(t, r.cmds[0].Process.Pid)
	require.NoError(t, r.cmds[1].Process.Kill())
	_ = r.cmds[1].Wait()

	done := make(chan error, 1)
	go func() { done <- r.cmds[0].Wait() }()
	select {
	case err := <-done:
		require.Error(t, err, "rank 0 must fail:\n%s", r.outs[0])
		assert.Regexp(t, `child: dskd: .*as rank 0 of 2 \(gloo, 127\.0\.0\.1:\d+\).*(Connection (closed|reset) by peer|Broken pipe)`, r.outs[0].String())
	case <-time.After(timeout + 30*time.Second):
		t.Fatalf("rank 0 still runs %v after its peer died:\n%s", timeout, r.outs[0])
	}
}

// sigpipeEveryThread sends SIGPIPE to each thread of process pid, the ones
// Go started and the ones libtorch, Gloo and OpenMP did.
func sigpipeEveryThread(t *testing.T, pid int) {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	require.NoError(t, err)
	require.Greater(t, len(tasks), 1)
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		require.NoError(t, err)
		// A thread may have ended since the listing.
		if err := syscall.Tgkill(pid, tid, syscall.SIGPIPE); err != nil {
			require.ErrorIs(t, err, syscall.ESRCH)
		}
	}
}

// A peer that never arrives: rank 0 gives up after the timeout, naming the
// rendezvous.
func TestDistributedPeerThatNeverArrives(t *testing.T) {
	split := syntheticSplit(t, 8, 32)
	port, err := distributed.FreePort("127.0.0.1")
	require.NoError(t, err)
	cfg := distTestConfig(t.TempDir(), 1, 1)
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger(),
		Distributed: &distributed.Config{Rank: 0, WorldSize: 2, MasterAddr: "127.0.0.1", MasterPort: port, Timeout: time.Second}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("dskd: aten: meeting the other ranks as rank 0 of 2 (gloo, 127.0.0.1:%d): ", port))
}

// A 2-rank run killed (both ranks) after its epoch-1 checkpoint and
// resumed on 2 ranks ends exactly like the run that was never interrupted.
func TestDistributedResumeAfterKillMatchesUninterruptedRun(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 16, 48)
	spec := distSpec{Data: dataDir, Epochs: 4, Steps: 2}
	straight := spec
	straight.Out = t.TempDir()
	straight.HashDir, straight.HashStep = t.TempDir(), 8 // the last step
	startRanks(t, straight, 2, time.Minute).wait(t)
	// The replicas stay identical through the teacher snapshots and
	// the α ramp of epochs 1-3.
	assertReplicasAgree(t, straight.HashDir)

	cut := spec
	cut.Out = t.TempDir()
	r := startRanks(t, cut, 2, time.Minute)
	waitForFile(t, filepath.Join(cut.Out, checkpointsDir, epochDirName(1), stateFile), time.Minute)
	for _, c := range r.cmds {
		require.NoError(t, c.Process.Kill())
		_ = c.Wait()
	}
	latest, err := LatestCheckpoint(cut.Out)
	require.NoError(t, err)
	st, err := ReadState(latest)
	require.NoError(t, err)
	require.Less(t, st.Epoch, spec.Epochs-1, "killed before the end")
	t.Logf("killed after epoch %d", st.Epoch)
	resumed := cut
	resumed.Resume = true
	startRanks(t, resumed, 2, time.Minute).wait(t)

	want, err := ReadState(filepath.Join(straight.Out, checkpointsDir, epochDirName(spec.Epochs-1)))
	require.NoError(t, err)
	got, err := ReadState(filepath.Join(cut.Out, checkpointsDir, epochDirName(spec.Epochs-1)))
	require.NoError(t, err)
	require.Len(t, got.History, spec.Epochs)
	for i := range want.History {
		assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d train loss", i)
		assert.Equal(t, want.History[i].ValDice, got.History[i].ValDice, "epoch %d val dice", i)
	}
	assert.Equal(t, weights(t, straight.Out), weights(t, cut.Out))
}

// A semi-supervised run on 2 ranks: each rank takes its own share of the
// unlabelled frames, the extra forward pass goes through the same
// gradient averaging, and the replicas stay identical.
func TestDistributedSemiSupervisedReplicasAgree(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 24, 48)
	spec := distSpec{Data: dataDir, Out: t.TempDir(), Epochs: 3, Steps: 2, Labels: 8, Unlabelled: true}
	spec.HashDir, spec.HashStep = t.TempDir(), 6 // the last step
	startRanks(t, spec, 2, time.Minute).wait(t)
	assertReplicasAgree(t, spec.HashDir)
	st, err := ReadState(filepath.Join(spec.Out, checkpointsDir, epochDirName(2)))
	require.NoError(t, err)
	assert.Equal(t, 2, st.WorldSize)
	for _, h := range st.History[1:] {
		kd, ok := h.Parts[losses.TermUnlabelledPSDL]
		require.True(t, ok, "epoch %d logs the unlabelled PSDL", h.Epoch)
		assert.Greater(t, kd, 0.0)
	}
}

// assertReplicasAgree compares the students' hashes the ranks wrote to dir.
func assertReplicasAgree(t *testing.T, dir string) {
	t.Helper()
	h0, err := os.ReadFile(filepath.Join(dir, "rank-0.txt"))
	require.NoError(t, err)
	h1, err := os.ReadFile(filepath.Join(dir, "rank-1.txt"))
	require.NoError(t, err)
	assert.Len(t, h0, 64)
	assert.Equal(t, string(h0), string(h1), "rank 1's student equals rank 0's")
}

// waitForFile polls for path, failing after limit.
func waitForFile(t *testing.T, path string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		require.True(t, time.Now().Before(deadline), "%s never appeared", path)
		time.Sleep(5 * time.Millisecond)
	}
}
