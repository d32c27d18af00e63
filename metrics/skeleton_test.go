package metrics

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grid parses rows of '#' (foreground) and '.' (background).
func grid(rows ...string) ([]bool, int, int) {
	h, w := len(rows), len(rows[0])
	img := make([]bool, 0, h*w)
	for _, r := range rows {
		for _, ch := range r {
			img = append(img, ch == '#')
		}
	}
	return img, h, w
}

func render(img []bool, w int) string {
	var sb strings.Builder
	for i, v := range img {
		if v {
			sb.WriteByte('#')
		} else {
			sb.WriteByte('.')
		}
		if (i+1)%w == 0 {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

func skel(t *testing.T, rows ...string) string {
	img, h, w := grid(rows...)
	s, err := Skeletonize(img, h, w)
	require.NoError(t, err)
	return render(s, w)
}

func TestSkeletonThickBar(t *testing.T) {
	// 3x5 bar at rows 1-3, cols 1-5 of a 5x7 image. Worked by hand
	// (N,NE,E,SE,S,SW,W,NW neighbours; B count, A transitions):
	// Iteration 1, step 1 (needs N·E·S=0 and E·S·W=0):
	//  (1,1) B=3 A=1 W=0 -> del;  (1,2..4) E·S·W=1 -> keep;
	//  (1,5) B=3 A=1 E=0 -> del;  (2,1) N·E·S=1 -> keep;
	//  (2,2..4) B=8 -> keep;      (2,5) B=5 A=1 E=0 -> del;
	//  (3,1..5) S=0, B in {3,5}, A=1 -> del.
	//  left:  row1 cols 2-4, row2 cols 1-4.
	// Iteration 1, step 2 (needs N·E·W=0 and N·S·W=0):
	//  (1,2) B=4 A=1 N=0 -> del; (1,3) B=5 A=1 -> del; (1,4) B=3 A=1 -> del;
	//  (2,1) B=2 A=1 N=0 -> del;
	//  (2,2) N,NE,E,W set: sequence 1,1,1,0,0,0,1,0 has A=2 -> keep;
	//  (2,3) N·E·W = 1 -> keep;
	//  (2,4) N,W,NW set: B=3 A=1, E=0 -> del.
	//  left: (2,2), (2,3).
	// Iteration 2: both have B=1 -> nothing changes. Done.
	got := skel(t,
		".......",
		".#####.",
		".#####.",
		".#####.",
		".......")
	assert.Equal(t, ""+
		".......\n"+
		".......\n"+
		"..##...\n"+
		".......\n"+
		".......\n", got)
}

func TestSkeletonOnePixelLinesUnchanged(t *testing.T) {
	// A 1-px line: end points have B=1, inner points have A=2 -> nothing
	// is deleted. Same for a diagonal and a 1-px L (its corner has A=2,
	// the pixel beside it has E, SE, W set: sequence 0,0,1,1,0,0,1,0, A=2).
	for _, rows := range [][]string{
		{".....", ".###.", "....."},
		{"#....", ".#...", "..#..", "...#."},
		{"......", ".####.", "....#.", "....#.", "......"},
		{"...", ".#.", "..."}, // single pixel: B=0
	} {
		img, h, w := grid(rows...)
		s, err := Skeletonize(img, h, w)
		require.NoError(t, err)
		assert.Equal(t, render(img, w), render(s, w))
	}
}

func TestSkeletonTwoByTwoVanishes(t *testing.T) {
	// Every pixel of a 2x2 block has B=3, A=1 and satisfies the step-1
	// products (e.g. top-left: N=0, W=0), so all four go at once.
	got := skel(t, "....", ".##.", ".##.", "....")
	assert.Equal(t, "....\n....\n....\n....\n", got)
}

func TestSkeletonTouchesBorder(t *testing.T) {
	// A 3-row-thick bar filling the whole image: outside is background,
	// so the result equals the bar case without the margin.
	got := skel(t, "#####", "#####", "#####")
	assert.Equal(t, ".....\n.##..\n.....\n", got)
}

func TestSkeletonErrors(t *testing.T) {
	_, err := Skeletonize(make([]bool, 5), 2, 3)
	assert.EqualError(t, err, "metrics: shape 2x3 does not match 5 pixels")
	_, err = Skeletonize(nil, -1, 0)
	assert.Error(t, err)
	s, err := Skeletonize(nil, 0, 0)
	assert.NoError(t, err)
	assert.Empty(t, s)
}
