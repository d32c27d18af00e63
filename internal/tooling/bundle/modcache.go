package bundle

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ModcacheFiles lists, relative to modcache, the files an offline build of
// pkgs needs (see the package doc). gosum is the module's go.sum.
func ModcacheFiles(modcache string, pkgs []Package, gosum []byte) ([]string, error) {
	keep := map[string]bool{}
	add := func(abs string) error {
		rel, err := filepath.Rel(modcache, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("bundle: %s is outside the module cache %s", abs, modcache)
		}
		keep[filepath.ToSlash(rel)] = true
		return nil
	}
	modRoots := map[string]bool{}
	for _, p := range pkgs {
		if p.Standard || p.Module == nil || p.Module.Main {
			continue
		}
		if !inside(modcache, p.Dir) {
			return nil, fmt.Errorf("bundle: package %s is in %s, outside the module cache (a local replacement?); a bundle cannot carry it", p.ImportPath, p.Dir)
		}
		modRoots[p.Module.Dir] = true
		files, err := packageDirFiles(p.Dir)
		if err != nil {
			return nil, err
		}
		for _, f := range p.EmbedFiles {
			files = append(files, filepath.Join(p.Dir, f))
		}
		refs, err := srcdirRefs(p.Dir, p.Module.Dir)
		if err != nil {
			return nil, err
		}
		files = append(files, refs...)
		for _, f := range files {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	for root := range modRoots {
		entries, err := os.ReadDir(root)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && (e.Name() == "go.mod" || isLicence(e.Name())) {
				if err := add(filepath.Join(root, e.Name())); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, rel := range downloadMetadata(gosum) {
		if _, err := os.Stat(filepath.Join(modcache, rel)); err == nil {
			keep[rel] = true
		}
	}
	out := make([]string, 0, len(keep))
	for f := range keep {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

func inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
}

// packageDirFiles are the regular files directly in dir, tests excluded:
// sources of every build tag, C/C++ sources and headers, embedded files.
func packageDirFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), "_test.go") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files, nil
}

var licenceRe = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notice|patents)`)

func isLicence(name string) bool { return licenceRe.MatchString(name) }

// srcdirRe finds ${SRCDIR}/path in #cgo lines.
var srcdirRe = regexp.MustCompile(`\$\{SRCDIR\}(/[^\s"']*)?`)

// srcdirRefs lists the files under paths that the #cgo lines of dir's Go
// files name through ${SRCDIR}, when they exist inside the same module.
func srcdirRefs(dir, modRoot string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		f, err := os.Open(m)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if !strings.Contains(line, "#cgo") {
				continue
			}
			for _, sm := range srcdirRe.FindAllStringSubmatch(line, -1) {
				p := filepath.Join(dir, sm[1])
				if p == dir || !inside(modRoot, p) {
					continue // the package dir itself is kept anyway
				}
				files, err := walkFiles(p)
				if err != nil {
					f.Close()
					return nil, err
				}
				out = append(out, files...)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("bundle: reading %s: %w", m, err)
		}
	}
	return out, nil
}

// walkFiles lists the regular files at or under p; a missing p gives none.
func walkFiles(p string) ([]string, error) {
	if _, err := os.Stat(p); os.IsNotExist(err) {
		return nil, nil
	}
	var out []string
	err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return out, nil
}

// downloadMetadata lists the cache/download files of every module version
// in go.sum: <version>.mod for a go.mod checksum line, plus .info and
// .ziphash for a content line. Paths are relative to the module cache.
func downloadMetadata(gosum []byte) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, line := range strings.Split(string(gosum), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		base := "cache/download/" + escapePath(f[0]) + "/@v/"
		if v, ok := strings.CutSuffix(f[1], "/go.mod"); ok {
			add(base + escapePath(v) + ".mod")
			continue
		}
		v := escapePath(f[1])
		add(base + v + ".mod")
		add(base + v + ".info")
		add(base + v + ".ziphash")
	}
	sort.Strings(out)
	return out
}

// escapePath is the module cache's case encoding of paths and versions: each upper-case letter
// becomes '!' and its lower-case form (golang.org/x/mod/module.EscapePath).
func escapePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
