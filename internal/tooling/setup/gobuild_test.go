package setup

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGo puts a `go` first on PATH that prints its GOWORK and arguments,
// after sleeping for sleep (a shell duration).
func fakeGo(t *testing.T, sleep string) {
	t.Helper()
	bin := t.TempDir()
	script := "#!/bin/sh\nsleep " + sleep + "\necho \"GOWORK=$GOWORK $*\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func setDelays(t *testing.T, quiet, every time.Duration) {
	t.Helper()
	oldQuiet, oldEvery := quietFor, progressEvery
	quietFor, progressEvery = quiet, every
	t.Cleanup(func() { quietFor, progressEvery = oldQuiet, oldEvery })
}

// make runs the setup with GOWORK=off; the builds it starts must use the
// project's go.work, and a build that is quick says nothing.
func TestGoWithProgressUsesTheProjectGoWorkAndIsQuietWhenQuick(t *testing.T) {
	fakeGo(t, "0")
	setDelays(t, time.Minute, time.Minute)
	t.Setenv("GOWORK", "off")
	project := t.TempDir()
	var logs []string
	out, err := goWithProgress(project, func(f string, a ...any) { logs = append(logs, f) }, "compiling x", "build", "some/pkg")
	require.NoError(t, err)
	assert.Equal(t, "GOWORK="+filepath.Join(project, "go.work")+" build some/pkg\n", string(out))
	assert.Empty(t, logs)
}

func TestGoWithProgressAnnouncesALongBuild(t *testing.T) {
	fakeGo(t, "1")
	setDelays(t, 10*time.Millisecond, 300*time.Millisecond)
	var logs []string
	_, err := goWithProgress(t.TempDir(), func(f string, a ...any) { logs = append(logs, f) }, "compiling gotch's Go packages", "build")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(logs), 3, "%q", logs)
	assert.Equal(t, "%s...", logs[0])
	assert.Equal(t, "  ... still %s, %s elapsed", logs[1])
	assert.Equal(t, "  ... done in %s", logs[len(logs)-1])
}

func TestGoWithProgressReportsTheFailure(t *testing.T) {
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\necho 'cannot find package' >&2\nexit 1\n"), 0o755))
	t.Setenv("PATH", bin)
	_, err := goWithProgress(t.TempDir(), func(string, ...any) {}, "compiling", "build", "x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "setup: go build x: exit status 1\ncannot find package")
}
