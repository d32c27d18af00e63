package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/angioseg/dskd/internal/cmdline"
)

// signalStop is a context that ends at the first SIGINT or SIGTERM (what
// Ctrl-C, SLURM, Kubernetes, systemd and `dskd launch` send): training
// then stops at the next step boundary and writes a checkpoint of that
// point. A second signal ends the process at once.
type signalStop struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	ch     chan os.Signal
	mu     sync.Mutex
	first  os.Signal
}

func stopOnSignal() *signalStop {
	s := &signalStop{ch: make(chan os.Signal, 2)}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range s.ch {
			s.mu.Lock()
			first := s.first == nil
			if first {
				s.first = sig
			}
			s.mu.Unlock()
			if !first {
				fmt.Fprintf(os.Stderr, "dskd: second %v: exiting now\n", sig)
				os.Exit(exitStatus(sig))
			}
			fmt.Fprintf(os.Stderr, "dskd: %v: stopping at the next step (again to exit at once)\n", sig)
			s.cancel(fmt.Errorf("%v", sig))
		}
	}()
	return s
}

// Stop stops listening (the signals' default action comes back).
func (s *signalStop) Stop() {
	signal.Stop(s.ch)
	close(s.ch)
}

// exitFor is the error that ends the process the way the first signal
// asks (status 128 + its number, like a shell), with line on stderr; nil
// when no signal came.
func (s *signalStop) exitFor(line string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == nil {
		return nil
	}
	return &cmdline.Exit{Code: exitStatus(s.first), Message: line}
}

// exitStatus is 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM.
func exitStatus(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}
