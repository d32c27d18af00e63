package dskd

import (
	"fmt"
	"runtime"

	"github.com/rs/zerolog"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/distributed"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// distributed is the trainer's part in a data-parallel run: every rank
// trains a replica on its shard of each epoch; c10d's Reducer averages the
// gradients during backward, so every replica takes the same optimizer
// step. BatchNorm normalises with each rank's own batch (as PyTorch's
// DistributedDataParallel does by default); its running statistics are
// rank 0's, copied to the others after every step, so that the teacher
// (which uses them) is the same on every rank. Rank 0 alone validates,
// logs, writes the run folder and calls OnEpochEnd; the others wait for
// it at the end of each epoch, and learn from it whether to stop.
type dataParallel struct {
	cfg     distributed.Config
	device  gotch.Device // where the collectives' own tensors live
	group   *aten.ProcessGroup
	reducer *aten.Reducer
	buffers []*aten.Tensor // the student's BatchNorm statistics (borrowed)
}

// distConfig is the run's distributed configuration: opts.Distributed, or
// the torchrun-style environment; nil for a single process.
func distConfig(opts Options) (*distributed.Config, error) {
	if opts.Distributed != nil {
		if !opts.Distributed.Enabled() {
			return nil, nil
		}
		c, err := opts.Distributed.WithDefaults()
		if err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
		return &c, nil
	}
	c, err := distributed.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	return c, nil
}

// rankConfig is what this rank trains with: its own GPU, and its share of
// the server's cores when Threads is 0 (the run's config.json keeps what
// was asked).
func rankConfig(cfg Config, c *distributed.Config) Config {
	if !c.Enabled() {
		return cfg
	}
	cfg.Device = rankDevice(cfg.Device, c)
	if cfg.Threads == 0 && c.LocalWorldSize > 1 {
		cfg.Threads = max(1, runtime.NumCPU()/c.LocalWorldSize)
	}
	return cfg
}

// rankDevice is the device of rank's replica: "auto" and "cuda" mean the
// server's GPU number LocalRank (one process per GPU); an explicit cuda:N
// is kept.
func rankDevice(device string, c *distributed.Config) string {
	if !c.Enabled() || c.LocalRank == 0 {
		return device
	}
	if device == "auto" || device == "cuda" {
		if aten.CUDAAvailable() {
			return fmt.Sprintf("cuda:%d", c.LocalRank)
		}
	}
	return device
}

// joinGroup meets the other ranks, gives every replica rank 0's weights
// (and BatchNorm statistics; the teacher's too when resuming with one) and
// hooks the Reducer onto the student's parameters.
func (t *trainer) joinGroup(c distributed.Config) error {
	backend := aten.DistBackend(c.Backend)
	if backend == "" {
		backend = aten.Gloo
		if t.device.IsCuda() {
			backend = aten.NCCL
		}
	}
	g, err := aten.NewProcessGroup(aten.GroupConfig{MasterAddr: c.MasterAddr, MasterPort: c.MasterPort,
		Rank: c.Rank, WorldSize: c.WorldSize, Backend: backend, Timeout: c.Timeout})
	if err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	d := &dataParallel{cfg: c, device: t.device, group: g}
	t.dist = d
	var params []*aten.Tensor
	all := vars(t.student)
	for _, v := range aten.Vars(t.student.VarStore()) {
		if v.Trainable {
			params = append(params, v.T)
		} else {
			d.buffers = append(d.buffers, v.T)
		}
	}
	if t.teacher.exists() && t.teacher.ready {
		all = append(all, vars(t.teacher.model)...)
	}
	if err := g.Broadcast(all, 0); err != nil {
		return fmt.Errorf("dskd: sharing rank 0's weights: %w", err)
	}
	if d.reducer, err = g.NewReducer(params, 0); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// vars lists a model's variables (borrowed handles), sorted by name.
func vars(m *models.UNet) []*aten.Tensor {
	var out []*aten.Tensor
	for _, v := range aten.Vars(m.VarStore()) {
		out = append(out, v.T)
	}
	return out
}

// leave closes the Reducer and the group.
func (d *dataParallel) leave() {
	if d == nil {
		return
	}
	d.reducer.Close()
	d.group.Close()
}

// as names this rank in errors: " as rank 1 of 2 (gloo, host:port)"; ""
// when training alone.
func (d *dataParallel) as() string {
	if d == nil {
		return ""
	}
	return " as " + d.group.String()
}

// rank0 reports whether this process writes the run folder (always, when
// it trains alone).
func (t *trainer) rank0() bool { return t.dist == nil || t.dist.cfg.Rank == 0 }

// shard is this rank's share of each epoch's data (all of it alone).
func (t *trainer) shard() data.Shard {
	if t.dist == nil {
		return data.Shard{}
	}
	return data.Shard{Rank: t.dist.cfg.Rank, Count: t.dist.cfg.WorldSize}
}

// worldSize is the number of processes training.
func (t *trainer) worldSize() int {
	if t.dist == nil {
		return 1
	}
	return t.dist.cfg.WorldSize
}

// beforeForward readies the Reducer for a forward pass (nothing when
// training alone).
func (d *dataParallel) beforeForward() error {
	if d == nil {
		return nil
	}
	if err := d.reducer.BeforeForward(); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// beforeBackward tells the Reducer which loss backward starts from, so
// that it averages the gradients across ranks as they are computed
// (nothing when training alone).
func (d *dataParallel) beforeBackward(loss *aten.Tensor) error {
	if d == nil {
		return nil
	}
	if err := d.reducer.BeforeBackward(loss); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// agreeStop makes a stop requested on any rank (a signal reaches each at
// its own moment) every rank's, at the same step; alone, local decides.
func (d *dataParallel) agreeStop(local bool) (bool, error) {
	if d == nil {
		return local, nil
	}
	v := 0.0
	if local {
		v = 1
	}
	got, err := d.sum([]float64{v})
	if err != nil {
		return false, fmt.Errorf("dskd: agreeing on a stop: %w", err)
	}
	return got[0] > 0, nil
}

// syncBuffers gives every replica rank 0's BatchNorm statistics.
func (d *dataParallel) syncBuffers() error {
	if d == nil || len(d.buffers) == 0 {
		return nil
	}
	if err := d.group.Broadcast(d.buffers, 0); err != nil {
		return fmt.Errorf("dskd: sharing rank 0's BatchNorm statistics: %w", err)
	}
	return nil
}

// sum adds vals across ranks.
func (d *dataParallel) sum(vals []float64) ([]float64, error) {
	s := aten.NewScope()
	defer s.Close()
	x := s.FromFloat64s(vals, int64(len(vals)))
	if d.device != gotch.CPU {
		x = s.ToDevice(x, d.device)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	if err := d.group.AllReduce([]*aten.Tensor{x}, false); err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	out := s.Float64s(x)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	return out, nil
}

// decide makes rank 0's stop decision everybody's. It is also where the
// other ranks wait while rank 0 validates and writes the checkpoint.
func (d *dataParallel) decide(stop bool) (bool, error) {
	s := aten.NewScope()
	defer s.Close()
	v := 0.0
	if stop {
		v = 1
	}
	x := s.Full([]int64{1}, v, gotch.Float, d.device)
	if err := s.Err(); err != nil {
		return false, fmt.Errorf("dskd: %w", err)
	}
	if err := d.group.Broadcast([]*aten.Tensor{x}, 0); err != nil {
		return false, fmt.Errorf("dskd: waiting for rank 0's end of epoch: %w", err)
	}
	got := s.Item(x)
	if err := s.Err(); err != nil {
		return false, fmt.Errorf("dskd: %w", err)
	}
	return got != 0, nil
}

// sumBreakdown adds the epoch's loss sums and step counts of every rank.
func (d *dataParallel) sumBreakdown(sum losses.Breakdown, n int) (losses.Breakdown, int, error) {
	vals := []float64{float64(n), sum.Total}
	for _, term := range sum.Terms {
		vals = append(vals, term.Value)
	}
	got, err := d.sum(vals)
	if err != nil {
		return sum, n, err
	}
	out := sum
	out.Total = got[1]
	out.Terms = append([]losses.Term(nil), sum.Terms...)
	for i := range out.Terms {
		out.Terms[i].Value = got[2+i]
	}
	return out, int(got[0]), nil
}

// checkWorldSize warns when a run resumes on another number of processes
// than it trained on: the global batch and the shards change, so the
// continuation is not the one an uninterrupted run would have taken.
func (st *State) checkWorldSize(n int, from string, log zerolog.Logger) {
	before := max(st.WorldSize, 1)
	if from != "" && before != n {
		log.Warn().Int("trained_on", before).Int("resumed_on", n).
			Msg("resuming on another number of processes: the global batch and the shards change")
	}
	st.WorldSize = 0 // one process: state.json as before distributed training existed
	if n > 1 {
		st.WorldSize = n
	}
}
