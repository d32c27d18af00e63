package bundle

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/tooling/setup"
)

// The bundle's manifest against this very project: loading every package
// offline from the planned module cache alone must succeed and give the
// same packages; every file a needed package builds from is planned; the
// trimmed toolchain keeps every standard-library file the build reads; and
// the setup finds gotch's generated wrappers in the bundled module cache.
// It fails as soon as an import, a cgo path or an embed needs something the
// bundle would leave out.
func TestPlanCoversAnOfflineBuildOfThisProject(t *testing.T) {
	ctx := context.Background()
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	pl, err := MakePlan(ctx, Toolchain{}, root)
	require.NoError(t, err)

	modcache := t.TempDir()
	copyFiles(t, pl.Env.GOMODCACHE, modcache, pl.Modcache)
	offline := Toolchain{Env: OfflineEnv(pl.Env.GOROOT, modcache, t.TempDir())}
	got, err := offline.ListDeps(ctx, root)
	require.NoError(t, err, "go list -deps -test ./... offline, with the planned module cache only")
	require.NoError(t, SamePackages(pl.Packages, got))

	planned := map[string]bool{}
	for _, f := range pl.Modcache {
		planned[f] = true
	}
	kept := map[string]bool{}
	for _, f := range pl.Goroot {
		kept[f] = true
	}
	stdFiles, modFiles := 0, 0
	for _, p := range got {
		files := p.SourceFiles()
		switch {
		case p.Standard:
			for _, rel := range relPaths(t, pl.Env.GOROOT, prefixAll(p.Dir, files)) {
				assert.True(t, kept[rel], "std file %s of %s is not in the trimmed toolchain", rel, p.ImportPath)
				stdFiles++
			}
		case !p.Module.Main:
			for _, rel := range relPaths(t, modcache, prefixAll(p.Dir, files)) {
				assert.True(t, planned[rel], "file %s of %s is not in the planned module cache", rel, p.ImportPath)
				modFiles++
			}
		}
	}
	assert.Greater(t, stdFiles, 1000, "the standard library files checked")
	assert.Greater(t, modFiles, 100, "the module files checked")

	gotch := filepath.ToSlash(filepath.Join("github.com/sugarme", "gotch@"+setup.GotchVersion, "libtch", setup.GeneratedFile))
	assert.True(t, planned[gotch], "the setup copies gotch's %s from the module cache", setup.GeneratedFile)
	for _, tool := range Tools {
		assert.True(t, kept["pkg/tool/linux_amd64/"+tool], tool)
	}
	assert.True(t, kept["bin/go"])

}

func prefixAll(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, f)
	}
	return out
}
