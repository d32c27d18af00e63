package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A split mixing good DCA1 pairs with every kind of bad sample: the check
// reports all of them at once, each naming its file, in split order.
func TestCheckSplitListsEveryProblem(t *testing.T) {
	d, err := OpenDCA1(td("dca1"))
	require.NoError(t, err)
	good := d.Samples // 101, 120, 7
	require.Len(t, good, 3)

	dir := t.TempDir()
	full, err := os.ReadFile(td("dca1", "101.pgm"))
	require.NoError(t, err)
	cut := filepath.Join(dir, "101.pgm")
	require.NoError(t, os.WriteFile(cut, full[:len(full)-100], 0o644))
	truncatedPGM := Sample{Name: "101cut", ImagePath: cut, MaskPath: td("dca1", "101_gt.pgm")}
	truncatedPNG := Sample{Name: "b", ImagePath: td("bad", "truncated_pair", "images", "b.png"), MaskPath: td("bad", "truncated_pair", "masks", "b.png")}
	sizes := Sample{Name: "a", ImagePath: td("bad", "size_mismatch", "images", "a.png"), MaskPath: td("bad", "size_mismatch", "masks", "a.png")}
	missing := Sample{Name: "gone", ImagePath: filepath.Join(dir, "gone.png")}

	split := Split{
		Train: []Sample{good[0], truncatedPNG, good[1]},
		Val:   []Sample{sizes},
		Test:  []Sample{good[2], truncatedPGM, missing},
	}
	err = CheckSplit(split, CheckOptions{Workers: 3})
	var ce *CheckError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 7, ce.Checked)
	require.Len(t, ce.Problems, 4)
	want := []struct{ split, name, file, cause string }{
		{"train", "b", truncatedPNG.ImagePath, "decoding"},
		{"val", "a", sizes.ImagePath, "is 32x32 but mask"},
		{"test", "101cut", cut, "truncated pixel data"},
		{"test", "gone", missing.ImagePath, "no such file"},
	}
	for i, w := range want {
		p := ce.Problems[i]
		assert.Equal(t, w.split, p.Split, i)
		assert.Equal(t, w.name, p.Sample.Name, i)
		assert.Contains(t, p.Err.Error(), w.file, i)
		assert.Contains(t, p.Err.Error(), w.cause, i)
	}
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "data: 4 of 7 samples have unusable files:\n  train b: "), msg)
	assert.Equal(t, 5, strings.Count(msg, "\n")+1, "a header line and one line per problem:\n%s", msg)
	assert.NotContains(t, msg, "\n  test gone: data:", "the package prefix is not repeated per line")

	rest := split.Without(ce.Problems)
	assert.Equal(t, Split{Train: []Sample{good[0], good[1]}, Test: []Sample{good[2]}}, rest)
	assert.NoError(t, CheckSplit(rest, CheckOptions{}))
}

func TestCheckSplitEmpty(t *testing.T) {
	assert.NoError(t, CheckSplit(Split{}, CheckOptions{}))
}

// The same bad sample in two splits is reported (and removed) in both,
// while its good namesake elsewhere stays.
func TestSplitWithoutMatchesSplitAndPath(t *testing.T) {
	a := Sample{Name: "a", ImagePath: "/x/a.png"}
	b := Sample{Name: "b", ImagePath: "/x/b.png"}
	s := Split{Train: []Sample{a, b}, Test: []Sample{a}}
	got := s.Without([]Problem{{Split: "test", Sample: a, Err: errors.New("bad")}})
	assert.Equal(t, Split{Train: []Sample{a, b}}, got)
}
