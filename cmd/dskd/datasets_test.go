package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A DCA1 folder with training ids only opens as training pairs, with a
// note that does not speak of training (eval and predict open it too).
func TestDCA1SplitWithoutTestIDs(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, SyntheticDCA1(5, 0, 32, 1)(dir))
	var note bytes.Buffer
	split, err := DCA1Split(dir, &note)
	require.NoError(t, err)
	assert.Len(t, split.Train, 5)
	assert.Empty(t, split.Test)
	assert.Equal(t, "note: "+dir+" has no test ids (101-134): its 5 pairs are training pairs, and there is no test split\n", note.String())

	dir = t.TempDir()
	require.NoError(t, SyntheticDCA1(5, 2, 32, 1)(dir))
	note.Reset()
	split, err = DCA1Split(dir, &note)
	require.NoError(t, err)
	assert.Len(t, split.Train, 5)
	assert.Len(t, split.Test, 2)
	assert.Empty(t, note.String())
}
