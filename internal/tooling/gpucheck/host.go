package gpucheck

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Host is what the report says about the machine.
type Host struct {
	Hostname string   `json:"hostname"`
	OS       string   `json:"os"`
	Kernel   string   `json:"kernel"`
	CPU      string   `json:"cpu"`
	Cores    int      `json:"cores"`
	MemGiB   float64  `json:"mem_gib"`
	Go       string   `json:"go"`
	GPUs     []string `json:"gpus,omitempty"` // nvidia-smi: name, memory, driver
	Python   string   `json:"python,omitempty"`
	Torch    string   `json:"torch,omitempty"` // the Python torch: version, CUDA build, CUDA available
	Notes    []string `json:"notes,omitempty"`
}

// probeHost gathers Host; every probe is optional and short.
func probeHost(ctx context.Context, python string) Host {
	h := Host{Cores: runtime.NumCPU()}
	h.Hostname, _ = os.Hostname()
	h.OS = osRelease()
	h.Kernel = firstLine(readFile("/proc/sys/kernel/osrelease"))
	for _, l := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if rest, ok := strings.CutPrefix(l, "model name"); ok {
			h.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
			break
		}
	}
	if f := strings.Fields(firstLine(readFile("/proc/meminfo"))); len(f) >= 2 {
		kb, _ := strconv.ParseFloat(f[1], 64)
		h.MemGiB = float64(int(kb/1024/1024*10+0.5)) / 10
	}
	h.Go = strings.TrimSpace(quick(ctx, "go", "env", "GOVERSION"))
	if out := quick(ctx, "nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"); out != "" {
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			h.GPUs = append(h.GPUs, strings.TrimSpace(l))
		}
	}
	h.Python, h.Torch, h.Notes = findPython(ctx, python)
	return h
}

const torchProbe = "import torch; print(torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())"

// findPython returns the first Python that imports torch, with what it
// says about torch; want, if set, is the only candidate.
func findPython(ctx context.Context, want string) (python, torch string, notes []string) {
	cands := []string{"python3", "/usr/bin/python3"}
	if want != "" {
		cands = []string{want}
	}
	for _, c := range cands {
		path, err := exec.LookPath(c)
		if err != nil {
			notes = append(notes, "no "+c)
			continue
		}
		out := quick(ctx, path, "-c", torchProbe)
		if out == "" {
			notes = append(notes, c+" ("+path+") cannot import torch")
			continue
		}
		return path, strings.TrimSpace(out), notes
	}
	return "", "", notes
}

// quick runs a probe with a 60-second limit and returns its stdout, or ""
// if it failed.
func quick(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func osRelease() string {
	for _, l := range strings.Split(readFile("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}
