package data

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// testdataDir is the repository's shared testdata folder.
var testdataDir = filepath.Join("..", "testdata")

func td(parts ...string) string { return filepath.Join(append([]string{testdataDir}, parts...)...) }

var logMu sync.Mutex

// captureLogs routes package logs to a buffer for the duration of the test.
func captureLogs(t *testing.T) *bytes.Buffer {
	t.Helper()
	logMu.Lock()
	var buf bytes.Buffer
	SetLogger(zerolog.New(&buf).Level(zerolog.DebugLevel))
	t.Cleanup(func() {
		SetLogger(zerolog.Nop())
		logMu.Unlock()
	})
	return &buf
}
