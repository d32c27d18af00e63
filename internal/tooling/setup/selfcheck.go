package setup

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// SelfCheckPackage is the program that runs dskd's numerical self-check of
// the linked libtorch (engine.SetThreadsChecked) and prints its decision as
// JSON with --json.
const SelfCheckPackage = "github.com/angioseg/dskd/cmd/dskd-setup/selfcheck"

// selfCheckFile records the self-check's decisions in a gotch copy, which
// is keyed by libtorch identity, by requested thread count.
const selfCheckFile = "selfcheck.json"

// ThreadCheck is the self-check's decision for one requested thread count
// (engine.ThreadChoice as JSON, plus the refusal; the setup stays free of
// cgo so it does not import engine).
type ThreadCheck struct {
	Requested int `json:"requested"`
	Threads   int `json:"threads"`
	Checks    []struct {
		Threads      int     `json:"threads"`
		Float32Error float64 `json:"float32_error"`
		Float64Error float64 `json:"float64_error"`
		Worst        string  `json:"worst"`
		Pass         bool    `json:"pass"`
	} `json:"checks"`
	Warning string `json:"warning,omitempty"`
	Error   string `json:"error,omitempty"` // libtorch is wrong even with one thread
}

// SelfCheck returns the self-check's decision for threads intra-op
// threads with the libtorch of the gotch copy in copyDir: the recorded one
// if the check ran before, else run(threads)'s, which it records. ran says
// whether run was called.
func SelfCheck(copyDir string, threads int, run func(threads int) ([]byte, error)) (tc ThreadCheck, ran bool, err error) {
	path := filepath.Join(copyDir, selfCheckFile)
	recorded := readSelfChecks(path) // unreadable: check again
	key := strconv.Itoa(threads)
	if tc, ok := recorded[key]; ok && tc.Requested == threads {
		return tc, false, nil
	}
	out, runErr := run(threads)
	if err := json.Unmarshal(out, &tc); err != nil || tc.Requested != threads {
		if runErr == nil {
			runErr = fmt.Errorf("unexpected output %q", out)
		}
		return ThreadCheck{}, true, fmt.Errorf("setup: running the libtorch self-check (%s): %w", SelfCheckPackage, runErr)
	}
	recorded[key] = tc
	b, _ := json.MarshalIndent(recorded, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return tc, true, fmt.Errorf("setup: %w", err)
	}
	return tc, true, nil
}

// RunSelfCheckProgram builds the self-check program in projectDir (through
// its go.work) and runs it for threads, returning its JSON decision.
func RunSelfCheckProgram(projectDir string, threads int, logf Logf) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "dskd-selfcheck-")
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "selfcheck")
	if _, err := goWithProgress(projectDir, logf, "building the libtorch self-check", "build", "-o", bin, SelfCheckPackage); err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "--json", "--threads", strconv.Itoa(threads)).Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		err = fmt.Errorf("%w: %s", err, exitErr.Stderr)
	}
	return out, err
}

// Describe renders a passing decision for the user.
func (tc ThreadCheck) Describe() string {
	if len(tc.Checks) == 0 {
		return fmt.Sprintf("conv2d self-check: %d thread(s)", tc.Threads)
	}
	c := tc.Checks[len(tc.Checks)-1]
	return fmt.Sprintf("conv2d self-check: libtorch's convolutions and their gradients are right with %d thread(s) (largest relative error %.1e in float32, %.1e in float64, against a float64 reference)", c.Threads, c.Float32Error, c.Float64Error)
}

// RecordedSelfChecks returns the self-check decisions recorded in a gotch
// copy, by requested thread count.
func RecordedSelfChecks(copyDir string) []ThreadCheck {
	var out []ThreadCheck
	for _, tc := range readSelfChecks(filepath.Join(copyDir, selfCheckFile)) {
		out = append(out, tc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Requested < out[j].Requested })
	return out
}

// readSelfChecks reads the decisions recorded at path; none if it is
// missing or unreadable.
func readSelfChecks(path string) map[string]ThreadCheck {
	recorded := map[string]ThreadCheck{}
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &recorded) != nil {
		return map[string]ThreadCheck{}
	}
	return recorded
}
