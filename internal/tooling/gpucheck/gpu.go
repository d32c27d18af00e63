package gpucheck

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// gpuIndex is N of "cuda:N" (0 for "cuda"), or -1 for a CPU device.
func gpuIndex(device string) int {
	if !strings.HasPrefix(device, "cuda") {
		return -1
	}
	if _, n, ok := strings.Cut(device, ":"); ok {
		i, err := strconv.Atoi(n)
		if err != nil {
			return -1
		}
		return i
	}
	return 0
}

// sampleGPUMemory polls nvidia-smi for the memory used on GPU index until
// the returned function is called, which gives the highest reading in MiB
// (0 when nvidia-smi is missing or never answered). Other processes on the
// card count too; the CUDA context and cached allocations are included.
func sampleGPUMemory(index int, every time.Duration) (stop func() float64) {
	if index < 0 {
		return func() float64 { return 0 }
	}
	smi, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return func() float64 { return 0 }
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	peak := 0.0
	done := make(chan struct{})
	read := func() {
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		defer qcancel()
		out, err := exec.CommandContext(qctx, smi, "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", strconv.Itoa(index)).Output()
		if err != nil {
			return
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil {
			mu.Lock()
			peak = max(peak, v)
			mu.Unlock()
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			read()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
