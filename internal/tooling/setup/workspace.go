package setup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GoWork renders the go.work that uses the project and replaces gotch with
// the prepared copy.
func GoWork(goVersion, gotchDir string) string {
	return fmt.Sprintf("// Written by dskd-setup for this machine; git-ignored. Delete it to build against pristine gotch.\ngo %s\n\nuse .\n\nreplace %s %s => %s\n", goVersion, GotchModule, GotchVersion, gotchDir)
}

// WriteGoWork writes projectDir/go.work unless it already has that content.
// It reports whether the file changed.
func WriteGoWork(projectDir, gotchDir string) (bool, error) {
	ver, err := goDirective(filepath.Join(projectDir, "go.mod"))
	if err != nil {
		return false, err
	}
	want := GoWork(ver, gotchDir)
	path := filepath.Join(projectDir, "go.work")
	if have, err := os.ReadFile(path); err == nil && string(have) == want {
		return false, nil
	}
	if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
		return false, fmt.Errorf("setup: %w", err)
	}
	return true, nil
}

func goDirective(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("setup: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "go" {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("setup: %s has no go directive", gomod)
}

// ProjectRoot walks up from dir to the directory holding go.mod.
func ProjectRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("setup: no go.mod above %s", dir)
		}
	}
}

// GotchSource returns gotch's pristine module directory, downloading the
// module into the module cache if needed.
func GotchSource(projectDir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err == nil {
		dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "sugarme", "gotch@"+GotchVersion)
		if _, err := os.Stat(filepath.Join(dir, "libtch", GeneratedFile)); err == nil {
			return dir, nil
		}
	}
	cmd := exec.Command("go", "mod", "download", "-json", GotchModule+"@"+GotchVersion)
	cmd.Dir = projectDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err = cmd.Output()
	if err != nil {
		return "", fmt.Errorf("setup: go mod download %s@%s: %w", GotchModule, GotchVersion, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("setup: go mod download %s@%s: %s", GotchModule, GotchVersion, info.Error)
	}
	return info.Dir, nil
}
