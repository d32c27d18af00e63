package bundle

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"
)

// DefaultMaxBytes is the size a bundle must stay under: a device call
// carries 64 MiB in all, which also holds the working tree and data.
const DefaultMaxBytes = 40 << 20

//go:embed env.sh.tmpl
var envTemplate string

//go:embed run.sh
var runScript string

//go:embed README.txt
var readmeText string

// Manifest is MANIFEST.json: what the bundle was made from and holds.
type Manifest struct {
	Created    time.Time `json:"created"`
	GoVersion  string    `json:"go_version"`
	Commit     string    `json:"commit"`  // git HEAD, "+dirty" when the tree had edits
	Modules    []string  `json:"modules"` // path@version of every module a package comes from
	Packages   int       `json:"packages"`
	Archives   []Archive `json:"archives"`
	TotalBytes int64     `json:"total_bytes"` // every file of the bundle folder but MANIFEST.json
}

// Write writes the bundle of pl into out, which must be empty, missing or
// an earlier bundle (then it is replaced). It returns the manifest, whose
// TotalBytes then counts MANIFEST.json too; a bundle over maxBytes (0:
// DefaultMaxBytes) is written and reported as an error.
func Write(ctx context.Context, pl Plan, out string, maxBytes int64) (Manifest, error) {
	m := Manifest{Created: time.Now().UTC().Truncate(time.Second), GoVersion: pl.Env.GOVERSION, Commit: gitCommit(ctx, pl.Root)}
	if err := prepareOut(pl.Root, out); err != nil {
		return m, err
	}
	parts := []struct {
		name, base, top string
		files           []string
	}{
		{"go.tar.xz", pl.Env.GOROOT, "go", pl.Goroot},
		{"modcache.tar.xz", pl.Env.GOMODCACHE, "modcache", pl.Modcache},
		{"dskd.tar.xz", pl.Root, "dskd", pl.Source},
	}
	for _, p := range parts {
		a, err := writeTarXz(ctx, filepath.Join(out, p.name), p.base, p.top, p.files)
		if err != nil {
			return m, err
		}
		m.Archives = append(m.Archives, a)
	}
	var env bytes.Buffer
	err := template.Must(template.New("env.sh").Parse(envTemplate)).Execute(&env, map[string]any{
		"GoVersion": m.GoVersion, "Commit": m.Commit, "Archives": m.Archives})
	if err != nil {
		return m, fmt.Errorf("bundle: env.sh: %w", err)
	}
	for _, f := range []struct {
		name string
		body []byte
		mode os.FileMode
	}{{"env.sh", env.Bytes(), 0o644}, {"run", []byte(runScript), 0o755}, {"README.txt", []byte(readmeText), 0o644}} {
		if err := os.WriteFile(filepath.Join(out, f.name), f.body, f.mode); err != nil {
			return m, fmt.Errorf("bundle: %w", err)
		}
	}
	m.Modules = moduleList(pl.Packages)
	m.Packages = len(pl.Packages)
	if m.TotalBytes, err = dirSize(out); err != nil {
		return m, err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "MANIFEST.json"), append(b, '\n'), 0o644); err != nil {
		return m, fmt.Errorf("bundle: %w", err)
	}
	if m.TotalBytes, err = dirSize(out); err != nil { // now with MANIFEST.json
		return m, err
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if m.TotalBytes > maxBytes {
		return m, fmt.Errorf("bundle: %s is %.1f MiB, over the %.0f MiB limit", out, mib(m.TotalBytes), mib(maxBytes))
	}
	return m, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// prepareOut makes out an empty folder. It refuses a folder holding
// anything but an earlier bundle, the project itself, and a place inside
// the project that ./... patterns would walk into once the bundle is
// unpacked there (module folders without go.mod would join the build).
func prepareOut(root, out string) error {
	absRoot, _ := filepath.Abs(root)
	absOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if rel, err := filepath.Rel(absOut, absRoot); err == nil && !strings.HasPrefix(rel, "..") {
		return fmt.Errorf("bundle: output %s holds the project; choose another folder", out)
	}
	if rel, err := filepath.Rel(absRoot, absOut); err == nil && !strings.HasPrefix(rel, "..") {
		hidden := false
		for _, el := range strings.Split(filepath.ToSlash(rel), "/") {
			hidden = hidden || strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_")
		}
		if !hidden {
			return fmt.Errorf("bundle: output %s is inside the project under no folder starting with '_' or '.'; go's ./... would walk into it once unpacked (use e.g. _dist/dskd-bundle)", out)
		}
	}
	entries, err := os.ReadDir(absOut)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return fmt.Errorf("bundle: %w", err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(absOut, "MANIFEST.json")); err != nil {
			return fmt.Errorf("bundle: %s is not empty and holds no bundle (no MANIFEST.json); refusing to overwrite it", out)
		}
		if err := os.RemoveAll(absOut); err != nil {
			return fmt.Errorf("bundle: removing the earlier bundle: %w", err)
		}
	}
	return os.MkdirAll(absOut, 0o755)
}

func moduleList(pkgs []Package) []string {
	seen := map[string]bool{}
	var mods []string
	for _, p := range pkgs {
		if p.Module == nil || p.Module.Main || p.Standard {
			continue
		}
		s := p.Module.Path + "@" + p.Module.Version
		if !seen[s] {
			seen[s] = true
			mods = append(mods, s)
		}
	}
	sort.Strings(mods)
	return mods
}

func gitCommit(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+dirty"
	}
	return c
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bundle: %w", err)
	}
	return n, nil
}
