package aten

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// distChildEnv makes the test binary run one rank of distRank instead of
// the tests: "<rank> <port> <mode>".
const distChildEnv = "ATEN_DIST_CHILD"

// tunedAtImport is whether the allocator setting was applied before
// TestMain ran: it must not be (importing the package changes nothing).
var tunedAtImport bool

func TestMain(m *testing.M) {
	// The tests (and the ranks below) run with the allocator setting that
	// dskd's programs apply at start-up (engine.Start).
	tunedAtImport = mallocTuned()
	TuneMalloc()
	if spec := os.Getenv(distChildEnv); spec != "" {
		var rank, port int
		var mode string
		if _, err := fmt.Sscan(spec, &rank, &port, &mode); err != nil {
			fmt.Fprintln(os.Stderr, "child spec:", err)
			os.Exit(2)
		}
		if err := distRank(rank, port, mode); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// distRank is one of two ranks: collectives and a Reducer with values
// whose results are known by hand (printed for the parent), or, in mode
// "die", rank 1 leaves right after the rendezvous and rank 0's next
// collective must fail.
func distRank(rank, port int, mode string) error {
	g, err := NewProcessGroup(GroupConfig{MasterAddr: "127.0.0.1", MasterPort: port, Rank: rank, WorldSize: 2,
		Backend: Gloo, Timeout: 60 * time.Second})
	if err != nil {
		return err
	}
	if mode == "die" {
		if rank == 1 {
			os.Exit(0) // without a word to the others
		}
		s := NewScope()
		defer s.Close()
		return g.AllReduce([]*Tensor{s.FromFloat32s([]float32{1}, 1)}, false)
	}
	defer g.Close()
	s := NewScope()
	defer s.Close()
	r := float32(rank)
	// Broadcast from rank 1: both end with rank 1's values.
	a := s.FromFloat32s([]float32{r + 1, 10 * (r + 1)}, 2)
	counter := s.FromInt64s([]int64{int64(rank) + 5}, 1)
	if err := g.Broadcast([]*Tensor{a, counter}, 1); err != nil {
		return err
	}
	// Sum and mean, two dtypes in one call.
	sum := s.FromFloat32s([]float32{r + 1, -r}, 2)
	ints := s.FromInt64s([]int64{int64(rank) + 1}, 1)
	if err := g.AllReduce([]*Tensor{sum, ints}, false); err != nil {
		return err
	}
	mean := s.FromFloat64s([]float64{float64(rank)}, 1)
	if err := g.AllReduce([]*Tensor{mean}, true); err != nil {
		return err
	}
	fmt.Println("broadcast", s.Float32s(a), s.Int64s(counter))
	fmt.Println("allreduce", s.Float32s(sum), s.Int64s(ints), s.Float64s(mean))

	// Reducer: loss = sum(w · c) with c = rank+1+step gives dloss/dw = c
	// on each rank, averaged: 1.5+step. unused never takes part.
	w := s.RequiringGrad(s.FromFloat32s([]float32{1, 2, 3}, 3), true)
	unused := s.RequiringGrad(s.FromFloat32s([]float32{7}, 1), true)
	if err := s.Err(); err != nil {
		return err
	}
	red, err := g.NewReducer([]*Tensor{w, unused}, 0)
	if err != nil {
		return err
	}
	defer red.Close()
	for step := 0; step < 3; step++ {
		if err := red.BeforeForward(); err != nil {
			return err
		}
		c := s.Run(func(c *Scope) *Tensor { return c.Sum(c.MulScalar(w, float64(rank+1+step))) })
		if err := red.BeforeBackward(c); err != nil {
			return err
		}
		s.Backward(c)
		gw := s.Grad(w)
		gu := s.Grad(unused)
		if err := s.Err(); err != nil {
			return err
		}
		fmt.Println("grad", step, s.Float32s(gw), gu == nil)
		s.ZeroInPlace(gw)
	}
	return g.Barrier()
}

// freePort asks the system for a free TCP port on the loopback.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runRanks starts the two ranks in mode and returns their outputs and
// errors.
func runRanks(t *testing.T, mode string) ([2]string, [2]error) {
	port := freePort(t)
	var cmds [2]*exec.Cmd
	var outs [2]strings.Builder
	for rank := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), distChildEnv+"="+strconv.Itoa(rank)+" "+strconv.Itoa(port)+" "+mode)
		cmd.Stdout, cmd.Stderr = &outs[rank], &outs[rank]
		require.NoError(t, cmd.Start())
		cmds[rank] = cmd
	}
	var errs [2]error
	var got [2]string
	for rank, cmd := range cmds {
		errs[rank] = cmd.Wait()
		got[rank] = outs[rank].String()
	}
	return got, errs
}

func TestProcessGroupCollectivesAndReducerAcrossTwoProcesses(t *testing.T) {
	if err := DistAvailable(Gloo); err != nil {
		t.Fatalf("%v (the setup installs libgloo-dev as root; see dskd-setup --print)", err)
	}
	outs, errs := runRanks(t, "collectives")
	for rank := range outs {
		require.NoError(t, errs[rank], "rank %d:\n%s", rank, outs[rank])
		out := outs[rank]
		assert.Contains(t, out, "broadcast [2 20] [6]\n", "rank %d", rank)
		assert.Contains(t, out, "allreduce [3 -1] [3] [0.5]\n", "rank %d", rank)
		for step := 0; step < 3; step++ {
			g := fmt.Sprint(1.5 + float64(step))
			assert.Contains(t, out, fmt.Sprintf("grad %d [%s %s %s] true\n", step, g, g, g), "rank %d", rank)
		}
	}
}

func TestDeadPeerFailsTheNextCollective(t *testing.T) {
	outs, errs := runRanks(t, "die")
	require.NoError(t, errs[1], "rank 1 leaves cleanly:\n%s", outs[1])
	require.Error(t, errs[0], "rank 0 must fail, not hang:\n%s", outs[0])
	assert.Contains(t, outs[0], "error: aten: all-reduce as rank 0 of 2 (gloo, 127.0.0.1:")
	assert.Regexp(t, `Connection (closed|reset) by peer`, outs[0])
}

func TestPeerThatNeverArrivesIsAnErrorAfterTheTimeout(t *testing.T) {
	port := freePort(t)
	err := onThread(func() error {
		_, err := NewProcessGroup(GroupConfig{MasterAddr: "127.0.0.1", MasterPort: port, Rank: 0, WorldSize: 2,
			Backend: Gloo, Timeout: time.Second})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("aten: meeting the other ranks as rank 0 of 2 (gloo, 127.0.0.1:%d):", port))
	assert.NotContains(t, err.Error(), "Exception raised from", "libtorch's backtrace is trimmed")
}

func TestDistConfigErrors(t *testing.T) {
	_, err := NewProcessGroup(GroupConfig{Backend: "mpi", WorldSize: 2, Timeout: time.Second})
	assert.EqualError(t, err, `aten: distributed backend "mpi": want "gloo" or "nccl"`)
	_, err = NewProcessGroup(GroupConfig{Backend: Gloo, WorldSize: 2})
	assert.ErrorContains(t, err, "timeout 0s: must be > 0")
	if !CUDAAvailable() {
		assert.ErrorContains(t, DistAvailable(NCCL), "distributed training with nccl is not available: ")
	}
	var g *ProcessGroup
	assert.EqualError(t, g.Barrier(), "aten: barrier on a closed process group")
}
