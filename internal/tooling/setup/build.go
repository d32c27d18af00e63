package setup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// ArchiveName is the static library the setup compiles gotch's C++ into
// (in the copy's libtch/, linked by its lib.go). Go then compiles only
// gotch's Go files: cgo compiles a package's C++ files one after another,
// which took about 3 minutes on 2 cores for the 18,000-line generated file.
const (
	ArchiveName = "libdskd_gotch.a"
	archiveLib  = "dskd_gotch" // its -l name
	csrcDir     = "csrc"       // the C++ sources, moved out of libtch/ so cgo ignores them
	maxRounds   = 5
)

// CPU seconds of the parts of the compile (g++ 12, Debian's libtorch
// 1.13.1, measured on the project's 2-core machines), for the estimate in
// the progress message.
const (
	headerCPU        = 11.0 // parsing the libtorch headers, once per translation unit
	wrappersCheckCPU = 8.0  // checking all generated wrappers, syntax only
	wrappersCodeCPU  = 70.0 // compiling all generated wrappers at -O2
	torchAPICPU      = 20.0 // gotch's hand-written torch_api.cpp at -O2
)

// BuildJobs is how many compilers run at once: the usable cores
// (GOMAXPROCS follows cgroup CPU limits), or $DSKD_SETUP_JOBS.
func BuildJobs() int {
	if s := os.Getenv("DSKD_SETUP_JOBS"); s != "" {
		var n int
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			return n
		}
	}
	return runtime.GOMAXPROCS(0)
}

// checkPieceCount is how many pieces the syntax check of the wrappers is
// split into: one core stays for torch_api.cpp, which compiles meanwhile.
func checkPieceCount(jobs int) int { return max(1, jobs-1) }

// pieceCount is how many pieces the checked wrappers are compiled in. Each
// piece parses the libtorch headers again (headerCPU; a precompiled header
// takes longer to write and to load than that saves), so there are no
// more pieces than cores, and at least two so that two cores share the work.
func pieceCount(jobs int) int { return max(2, jobs-1) }

// estimate is the expected wall time of buildArchive on jobs cores.
func estimate(jobs int) time.Duration {
	check := headerCPU + wrappersCheckCPU/float64(checkPieceCount(jobs))
	n := pieceCount(jobs)
	compile := (float64(n)*headerCPU + wrappersCodeCPU) / float64(min(jobs, n))
	return time.Duration(max(check+compile, torchAPICPU) * float64(time.Second))
}

// cppUnit is one translation unit of gotch's C++.
type cppUnit struct {
	name    string // file name in csrc/
	text    string // its full source
	prelude string // leading part that is not wrappers ("" for torch_api.cpp)
	patch   bool   // wrappers the compiler rejects may be replaced
	// replace stubs what the compiler rejects (default replaceFailingIn,
	// for generated wrappers).
	replace    func(file, src, compilerLog, versionLabel string) (string, []string, error)
	syntaxOnly bool     // checked, not compiled into an object
	extraArgs  []string // compiler arguments of this unit only (include dirs)
	// retry, for a unit that is not a generated wrapper, may change what
	// the unit is compiled with after a failure (given the compiler's
	// output) and reports whether to compile it again.
	retry    func(log string) bool
	replaced []string
	log      string        // compiler output of the last failed attempt
	cpu      time.Duration // the compiler's CPU time, all attempts
}

// wrapperUnits cuts the generated wrappers into n units named by pattern.
func wrapperUnits(gen, prelude string, n int, pattern string, syntaxOnly bool) []*cppUnit {
	var units []*cppUnit
	for i, piece := range splitWrappers(gen, n) {
		units = append(units, &cppUnit{name: fmt.Sprintf(pattern, i), text: prelude + piece, prelude: prelude, patch: true, syntaxOnly: syntaxOnly})
	}
	return units
}

// joinWrappers is the generated file as the units now hold it.
func joinWrappers(units []*cppUnit) string {
	pieces := make([]string, len(units))
	for i, u := range units {
		pieces[i] = strings.TrimPrefix(u.text, u.prelude)
	}
	return strings.Join(pieces, "\n")
}

// buildArchive compiles gotch's C++ in copyDir into libtch/ArchiveName on
// jobs cores. gotch's torch_api.cpp compiles while the generated wrappers
// are checked (syntax only, in pieces); each wrapper the compiler rejects is
// replaced by one that raises a C++ error naming the op (see
// ReplaceFailing) and its piece checked again. The checked wrappers are
// then compiled in pieces, all at once. It returns the names of the
// replaced wrappers, in file order, and the distributed backends compiled
// in (dskd's c10d shim drops one that does not compile; see dropBackend).
func buildArchive(copyDir string, flags Flags, lt Libtorch, jobs int, logf Logf) ([]string, Distributed, error) {
	libtch := filepath.Join(copyDir, "libtch")
	csrc := filepath.Join(copyDir, csrcDir)
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(libtch, name))
		return string(b), err
	}
	header, err := read("torch_api.h")
	if err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}
	cpp, err := read("torch_api.cpp")
	if err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}
	gen, err := read(GeneratedFile)
	if err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}
	header, cpp, err = shareLastErr(header, cpp)
	if err != nil {
		return nil, Distributed{}, err
	}
	prelude, err := chunkPrelude(cpp)
	if err != nil {
		return nil, Distributed{}, err
	}
	if err := os.MkdirAll(csrc, 0o755); err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}
	if err := os.WriteFile(filepath.Join(libtch, "torch_api.h"), []byte(header), 0o644); err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}
	if err := os.Remove(filepath.Join(libtch, "torch_api.cpp")); err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}

	// gotch's hand-written functions: one that a newer libtorch rejects
	// (a removed API) raises an error when called instead of failing the build.
	api := &cppUnit{name: "torch_api.cpp", text: cpp, patch: true, replace: replaceFailingFunctions}
	shims, compiled, err := installShim(libtch, csrc, lt, logf)
	if err != nil {
		return nil, Distributed{}, err
	}
	checks := wrapperUnits(gen, prelude, checkPieceCount(jobs), "check-%02d.cpp", true)
	total := 1 + len(shims) + len(checks) + pieceCount(jobs)
	logf("compiling gotch's C++ for libtorch %s once, about %s on %d cores...", lt.DisplayVersion(), roughly(estimate(jobs)), jobs)
	start := time.Now()
	var done atomic.Int32
	stopProgress := reportProgress(logf, start, &done, total)
	apiErr := make(chan error, 1)
	go func() { // gotch's hand-written C++, then dskd's shim
		err := compileUnit(csrc, libtch, api, flags, lt)
		done.Add(1)
		for _, u := range shims {
			if err == nil {
				err = compileUnit(csrc, libtch, u, flags, lt)
			}
			done.Add(1)
		}
		apiErr <- err
	}()
	var objs []*cppUnit
	err = runUnits(checks, checkPieceCount(jobs), csrc, libtch, flags, lt, &done)
	if err == nil {
		objs = wrapperUnits(joinWrappers(checks), prelude, pieceCount(jobs), "wrappers-%02d.cpp", false)
		err = runUnits(objs, jobs, csrc, libtch, flags, lt, &done)
	}
	if e := <-apiErr; err == nil {
		err = e
	}
	stopProgress()
	if err != nil {
		return nil, Distributed{}, err
	}

	replaced := append([]string(nil), api.replaced...) // gotch's hand-written functions first
	cpu := api.cpu
	objects := []string{objectName(api.name)}
	for _, u := range shims {
		cpu += u.cpu
		objects = append(objects, objectName(u.name))
	}
	for _, u := range checks {
		replaced = append(replaced, u.replaced...)
		cpu += u.cpu
		_ = os.Remove(filepath.Join(csrc, u.name))
	}
	for _, u := range objs {
		replaced = append(replaced, u.replaced...) // rare: -O2 rejecting what the check passed
		cpu += u.cpu
		objects = append(objects, objectName(u.name))
	}
	// The patched generated file, whole, for whoever reads the copy; nothing
	// compiles it any more.
	if err := os.WriteFile(filepath.Join(libtch, GeneratedFile), []byte(joinWrappers(objs)), 0o644); err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: %w", err)
	}
	ar := exec.Command("ar", append([]string{"rcs", filepath.Join(libtch, ArchiveName)}, objects...)...)
	ar.Dir = csrc
	if out, err := ar.CombinedOutput(); err != nil {
		return nil, Distributed{}, fmt.Errorf("setup: ar (binutils, installed with g++): %v: %s", err, out)
	}
	for _, o := range objects {
		_ = os.Remove(filepath.Join(csrc, o))
	}
	msg := fmt.Sprintf("compiled gotch's C++ in %s (%s of compiler CPU time)", time.Since(start).Round(time.Second), cpu.Round(time.Second))
	if len(replaced) > 0 {
		msg += fmt.Sprintf("; replaced %d wrappers that libtorch %s cannot compile", len(replaced), lt.DisplayVersion())
	}
	logf("%s", msg)
	return replaced, *compiled, nil
}

// runUnits compiles units, jobs at a time, counting each one done.
func runUnits(units []*cppUnit, jobs int, csrc, libtch string, flags Flags, lt Libtorch, done *atomic.Int32) error {
	return runJobs(len(units), jobs, func(i int) error {
		defer done.Add(1)
		return compileUnit(csrc, libtch, units[i], flags, lt)
	})
}

// compileUnit compiles u into csrc/<name>.o (or checks it, if syntaxOnly),
// replacing wrappers the compiler rejects until it compiles (at most
// maxRounds attempts).
func compileUnit(csrc, libtch string, u *cppUnit, flags Flags, lt Libtorch) error {
	for round := 1; round <= maxRounds; round++ {
		if err := os.WriteFile(filepath.Join(csrc, u.name), []byte(u.text), 0o644); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		f := flags
		if len(u.extraArgs) > 0 {
			f.CXXFlags = append(append([]string(nil), flags.CXXFlags...), u.extraArgs...)
		}
		args := f.ObjectArgs(libtch, u.name, objectName(u.name))
		if u.syntaxOnly {
			args = f.SyntaxArgs(libtch, u.name)
		}
		cmd := exec.Command(cxx(), args...)
		cmd.Dir = csrc
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState != nil {
			u.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		if err == nil {
			return nil
		}
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("setup: running %s: %w", cxx(), err)
		}
		u.log = string(out)
		if !u.patch && u.retry != nil && u.retry(u.log) {
			continue
		}
		if !u.patch {
			return compileFailure(u, fmt.Errorf("setup: gotch's %s does not compile against libtorch %s (not a generated wrapper, so it cannot be replaced)", u.name, lt.DisplayVersion()))
		}
		replace := replaceFailingIn
		if u.replace != nil {
			replace = u.replace
		}
		text, names, err := replace(u.name, u.text, u.log, lt.DisplayVersion())
		if err == nil && len(names) == 0 {
			err = fmt.Errorf("setup: the compiler failed on %s outside what can be replaced", u.name)
		}
		if err != nil {
			return compileFailure(u, err)
		}
		u.text = text
		u.replaced = append(u.replaced, names...)
	}
	return compileFailure(u, fmt.Errorf("setup: %s still fails to compile after %d rounds of replacing wrappers", u.name, maxRounds))
}

// compileFailure saves the compiler's output where the user can read it.
func compileFailure(u *cppUnit, err error) error {
	logPath := filepath.Join(os.TempDir(), "dskd-setup-compile.log")
	_ = os.WriteFile(logPath, []byte(u.log), 0o644)
	return fmt.Errorf("%w (compiler log: %s)", err, logPath)
}

func objectName(cppName string) string { return strings.TrimSuffix(cppName, ".cpp") + ".o" }
