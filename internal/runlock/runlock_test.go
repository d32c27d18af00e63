package runlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const holdEnv = "RUNLOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" { // child: lock, say so, wait to be killed
		if _, err := Acquire(dir); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("locked")
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

func TestSecondWriterIsRefusedUntilRelease(t *testing.T) {
	dir := t.TempDir() + "/run"
	l, err := Acquire(dir)
	require.NoError(t, err)
	assert.DirExists(t, dir)

	_, err = Acquire(dir)
	var inUse *InUseError
	require.ErrorAs(t, err, &inUse)
	assert.Equal(t, os.Getpid(), inUse.Owner.PID)
	assert.Contains(t, err.Error(), fmt.Sprintf("%s is in use by process %d (started ", dir, os.Getpid()))

	require.NoError(t, l.Release())
	require.NoError(t, l.Release(), "releasing twice is harmless")
	again, err := Acquire(dir)
	require.NoError(t, err)
	require.NoError(t, again.Release())
}

// A lock held by a process that is killed is free again at once.
func TestKilledHolderReleases(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	_, err = Acquire(dir)
	var inUse *InUseError
	require.True(t, errors.As(err, &inUse), "refused while the child lives: %v", err)
	assert.Equal(t, cmd.Process.Pid, inUse.Owner.PID)

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	l, err := Acquire(dir)
	require.NoError(t, err, "SIGKILL leaves no stale lock")
	require.NoError(t, l.Release())
}

// A folder that cannot be made (a file stands in its place) is an error
// naming it, not a lock.
func TestUnusableFolderIsAnError(t *testing.T) {
	f := t.TempDir() + "/file"
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	_, err := Acquire(f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "runlock: ")
	assert.Contains(t, err.Error(), f)
}
