package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/angioseg/dskd/distributed"
	"github.com/angioseg/dskd/internal/cmdline"
)

// LaunchUsage is the synopsis of `dskd launch`.
const LaunchUsage = `dskd launch  --nproc-per-node N [--nnodes M --node-rank K --master ADDR:PORT] -- train [training flags]`

// Launch runs `self train ...` as the local ranks of a data-parallel run
// (dskd launch): each rank gets the torchrun-style environment (package
// dist), rank 0's output passes through, the others' lines are prefixed
// with their rank. When one rank fails, the others are stopped and its
// error is returned. self is the dskd executable.
func Launch(args []string, self string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dskd launch", flag.ContinueOnError)
	nproc := fs.Int("nproc-per-node", 0, "ranks on this server: one per GPU (required)")
	nnodes := fs.Int("nnodes", 1, "servers taking part")
	nodeRank := fs.Int("node-rank", 0, "this server's number, 0 .. nnodes-1 (node 0 hosts rank 0)")
	master := fs.String("master", "", "ADDR:PORT where rank 0 (node 0) serves the rendezvous; required with --nnodes > 1 (default 127.0.0.1 and a free port)")
	backend := fs.String("backend", "", "gloo or nccl (default nccl on CUDA, gloo on CPU)")
	timeout := fs.Duration("timeout", distributed.DefaultTimeout, "how long a rank waits for the others before it fails (rendezvous, each step, rank 0's validation)")
	cmdline.Usage(fs, "usage: "+LaunchUsage+"\nstarts and supervises this server's ranks of a distributed training; rank 0 writes the run folder")
	own, cmd := splitCommand(args)
	if err := cmdline.ParseNoArgs(fs, own); err != nil {
		return err
	}
	switch {
	case *nproc < 1:
		return fmt.Errorf("launch: --nproc-per-node %d: give the number of ranks on this server (one per GPU)", *nproc)
	case *nnodes < 1 || *nodeRank < 0 || *nodeRank >= *nnodes:
		return fmt.Errorf("launch: --node-rank %d of --nnodes %d: want 0 <= node-rank < nnodes", *nodeRank, *nnodes)
	case len(cmd) == 0 || cmd[0] != "train":
		return errors.New("launch: give the training after --: dskd launch --nproc-per-node N -- train [training flags]")
	case *nnodes > 1 && *master == "":
		return errors.New("launch: --master ADDR:PORT is required with --nnodes > 1 (node 0's address, reachable from every server)")
	}
	addr, port, err := masterAddress(*master)
	if err != nil {
		return err
	}
	world := *nproc * *nnodes
	base := distributed.Config{WorldSize: world, LocalWorldSize: *nproc, MasterAddr: addr, MasterPort: port, Backend: *backend, Timeout: *timeout}
	if _, err := base.WithDefaults(); err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	out := runFolder(cmd[1:])
	first := *nodeRank * *nproc
	fmt.Fprintf(stderr, "dskd launch: ranks %d-%d of %d on this server, rendezvous at %s; rank 0 writes the run folder %s\n",
		first, first+*nproc-1, world, base.Address(), out)
	if err := supervise(self, cmd, base, first, *nproc, stdout, stderr); err != nil {
		return err
	}
	if *nodeRank == 0 {
		fmt.Fprintf(stderr, "dskd launch: all %d ranks finished; run folder: %s\n", world, out)
	} else {
		fmt.Fprintf(stderr, "dskd launch: this server's %d ranks finished; the run folder is on node 0: %s\n", *nproc, out)
	}
	return nil
}

// splitCommand separates launch's flags from the command: at "--", or
// else at "train".
func splitCommand(args []string) (own, cmd []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	for i, a := range args {
		if a == "train" {
			return args[:i], args[i:]
		}
	}
	return args, nil
}

// masterAddress splits ADDR:PORT; empty means 127.0.0.1 and a free port.
func masterAddress(s string) (string, int, error) {
	if s == "" {
		port, err := distributed.FreePort("127.0.0.1")
		return "127.0.0.1", port, err
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("launch: --master %q: want ADDR:PORT", s)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("launch: --master %q: the port must be a number in 1..65535", s)
	}
	return host, port, nil
}

// runFolder is where `train args` writes: --out, else the --config file's
// out_dir, else the default (as TrainFlags.Config decides).
func runFolder(args []string) string {
	value := func(name string) string {
		v := ""
		for i, a := range args {
			if a == "--" {
				break
			}
			for _, prefix := range []string{"-" + name, "--" + name} {
				switch {
				case a == prefix && i+1 < len(args):
					v = args[i+1]
				case strings.HasPrefix(a, prefix+"="):
					v = strings.TrimPrefix(a, prefix+"=")
				}
			}
		}
		return v
	}
	if out := value("out"); out != "" {
		return out
	}
	if path := value("config"); path != "" {
		var c struct {
			OutDir string `json:"out_dir"`
		}
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &c) == nil && c.OutDir != "" {
			return c.OutDir
		}
	}
	return DefaultRunFolder
}

// DefaultRunFolder is `dskd train`'s --out default.
const DefaultRunFolder = "runs/dskd"

// rankProcess is one local rank.
type rankProcess struct {
	rank int
	cmd  *exec.Cmd
	last lastLines // its latest stderr lines, for the error message
	out  sync.WaitGroup
}

// supervise starts the local ranks and waits for them. The first to fail
// stops the others (SIGTERM, then SIGKILL after a grace period) and its
// error, with its last words, is returned. SIGINT or SIGTERM to the
// launcher stops every rank.
func supervise(self string, cmd []string, base distributed.Config, first, n int, stdout, stderr io.Writer) error {
	var mu sync.Mutex // serialises writes to stdout and stderr
	procs := make([]*rankProcess, n)
	type exit struct {
		p   *rankProcess
		err error
	}
	exits := make(chan exit, n)
	for i := range procs {
		c := base
		c.Rank, c.LocalRank = first+i, i
		p := &rankProcess{rank: c.Rank, cmd: exec.Command(self, cmd...)}
		p.cmd.Env = append(os.Environ(), c.Environ()...)
		// Its own process group: a Ctrl-C at the terminal reaches the
		// launcher alone, which forwards one SIGTERM (a rank that got
		// both would take the second as "exit at once"); and SIGTERM too
		// if the launcher dies.
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
		if err := p.pipe(stdout, stderr, &mu); err != nil {
			stopAll(procs[:i])
			return err
		}
		if err := p.cmd.Start(); err != nil {
			stopAll(procs[:i])
			return fmt.Errorf("launch: starting rank %d: %w", c.Rank, err)
		}
		procs[i] = p
		go func() {
			p.out.Wait() // its output is read to the end before Wait closes the pipes
			exits <- exit{p, p.cmd.Wait()}
		}()
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	var failure error
	for left := n; left > 0; {
		select {
		case e := <-exits:
			left--
			if e.err != nil && failure == nil {
				failure = fmt.Errorf("launch: rank %d failed (%v)%s; the other ranks were stopped", e.p.rank, e.err, e.p.last.quote())
				stopAll(procs)
			}
		case s := <-signals:
			if failure == nil {
				failure = &cmdline.Exit{Code: exitStatus(s), Message: fmt.Sprintf(
					"launch: %v: every rank stopped at the same step with a checkpoint; continue with the same launch command and train --resume", s)}
				stopAll(procs)
			} else { // a second signal: now
				for _, p := range procs {
					_ = p.cmd.Process.Kill()
				}
			}
		}
	}
	return failure
}

// pipe routes the rank's output: rank 0's as is, the others' line by line
// with a "[rank N] " prefix.
func (p *rankProcess) pipe(stdout, stderr io.Writer, mu *sync.Mutex) error {
	for _, s := range []struct {
		dst    io.Writer
		stderr bool
	}{{stdout, false}, {stderr, true}} {
		var r io.ReadCloser
		var err error
		if s.stderr {
			r, err = p.cmd.StderrPipe()
		} else {
			r, err = p.cmd.StdoutPipe()
		}
		if err != nil {
			return fmt.Errorf("launch: %w", err)
		}
		prefix := ""
		if p.rank != 0 {
			prefix = fmt.Sprintf("[rank %d] ", p.rank)
		}
		dst, isErr := s.dst, s.stderr
		p.out.Add(1)
		go func() {
			defer p.out.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64*1024), 1024*1024)
			for sc.Scan() {
				line := sc.Text()
				if isErr {
					p.last.add(line)
				}
				mu.Lock()
				fmt.Fprintln(dst, prefix+line)
				mu.Unlock()
			}
		}()
	}
	return nil
}

// stopGrace is how long stopAll lets ranks stop cleanly (finish a step,
// write the checkpoint) before it kills them.
const stopGrace = 60 * time.Second

// stopAll asks every running rank to stop, and kills those still running
// after a grace period.
func stopAll(procs []*rankProcess) {
	for _, p := range procs {
		if p != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	go func() {
		time.Sleep(stopGrace)
		for _, p := range procs {
			if p != nil && p.cmd.Process != nil {
				_ = p.cmd.Process.Kill() // an error means it has exited
			}
		}
	}()
}

// lastLines keeps the latest lines of a rank's stderr.
type lastLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *lastLines) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 3 {
		l.lines = l.lines[1:]
	}
}

// quote renders the last lines for an error message: ":\n  line\n  line".
func (l *lastLines) quote() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return ""
	}
	return ":\n  " + strings.Join(l.lines, "\n  ")
}
