package data

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/rs/zerolog"
)

// Problem is one sample that cannot be used: a file of it is missing,
// truncated, undecodable, or its image and mask sizes differ.
type Problem struct {
	Split  string // "train", "val" or "test"
	Sample Sample
	Err    error // names the file at fault
}

// CheckError is what CheckSplit returns when samples are unusable: every
// problem found, in split order (train, val, test) and sample order.
type CheckError struct {
	Problems []Problem
	Checked  int // samples checked
}

// Error lists every problem on its own line.
func (e *CheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "data: %d of %d samples have unusable files:", len(e.Problems), e.Checked)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s %s: %s", p.Split, p.Sample.Name, strings.TrimPrefix(p.Err.Error(), "data: "))
	}
	return b.String()
}

// CheckOptions configures CheckSplit. The zero value checks on all cores.
type CheckOptions struct {
	Workers int // goroutines; default GOMAXPROCS
	// Logger receives the decoding messages (e.g. a non-binary mask, once
	// per file), as IteratorConfig.Logger; nil means the package logger.
	Logger *zerolog.Logger
}

// CheckSplit decodes every image and mask of s with LoadSample — the same
// decoding, mask binarisation and size check as training — on Workers
// goroutines, so a bad file stops a run before its first step rather than
// hours later. It returns nil or a *CheckError listing every unusable
// sample. Decoded pixels are dropped as soon as a sample is checked.
func CheckSplit(s Split, o CheckOptions) error {
	l := o.Logger
	if l == nil {
		l = log()
	}
	type job struct {
		split string
		i     int
		s     Sample
	}
	var jobs []job
	for _, part := range []struct {
		name    string
		samples []Sample
	}{{"train", s.Train}, {"val", s.Val}, {"test", s.Test}, {"unlabelled", s.Unlabelled}} {
		for _, smp := range part.samples {
			jobs = append(jobs, job{part.name, len(jobs), smp})
		}
	}
	errs := make([]error, len(jobs))
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan job)
	var wg sync.WaitGroup
	for range min(workers, max(1, len(jobs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				_, _, errs[j.i] = loadSample(j.s, l)
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	ce := &CheckError{Checked: len(jobs)}
	for i, err := range errs {
		if err != nil {
			ce.Problems = append(ce.Problems, Problem{Split: jobs[i].split, Sample: jobs[i].s, Err: err})
		}
	}
	if len(ce.Problems) == 0 {
		return nil
	}
	return ce
}

// Without returns s with the samples of problems removed (matched by
// split and image path), keeping the order of the rest.
func (s Split) Without(problems []Problem) Split {
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.Split+"\x00"+p.Sample.ImagePath] = true
	}
	keep := func(split string, in []Sample) []Sample {
		var out []Sample
		for _, smp := range in {
			if !bad[split+"\x00"+smp.ImagePath] {
				out = append(out, smp)
			}
		}
		return out
	}
	return Split{Train: keep("train", s.Train), Val: keep("val", s.Val), Test: keep("test", s.Test), Unlabelled: keep("unlabelled", s.Unlabelled)}
}
