package setup

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// progressEvery is how often a long compile reports that it is alive.
var progressEvery = 20 * time.Second

// reportProgress logs every progressEvery how far the compile is, until
// the returned function is called.
func reportProgress(logf Logf, start time.Time, done *atomic.Int32, total int) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				logf("  ... still compiling gotch's C++: %d of %d parts done, %s elapsed", done.Load(), total, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

// runJobs calls fn(0..n-1) on at most jobs goroutines and returns the first
// error; after an error no new calls start.
func runJobs(n, jobs int, fn func(int) error) error {
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		failed   atomic.Bool
	)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if failed.Load() {
					continue // drain: after an error nothing new starts
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
				}
			}
		}()
	}
	for i := 0; i < n && !failed.Load(); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}

// roughly renders an estimate the way a person says it.
func roughly(d time.Duration) string {
	switch {
	case d < 15*time.Second:
		return "a few seconds"
	case d < 50*time.Second:
		return fmt.Sprintf("%d seconds", int(d.Round(10*time.Second).Seconds()))
	case d < 90*time.Second:
		return "a minute"
	default:
		return fmt.Sprintf("%d minutes", int(d.Round(time.Minute).Minutes()))
	}
}
