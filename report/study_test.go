package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testStudy() Study {
	return Study{
		Title:   "DSKD against U-Net, 3 seeds",
		Metric:  "test Dice (pooled)",
		Columns: []string{"arm", "runs", "test Dice mean ± std"},
		Rows:    [][]string{{"dskd", "3", "0.7000 ± 0.1000"}, {"unet", "2 (1 failed)", "0.7500 ± 0.0000"}},
		Runs: []StudyRun{
			{Arm: "dskd", Label: "seed 1", Score: 0.6, Report: "dskd-1/report.html"},
			{Arm: "unet", Label: "seed 1", Score: 0.75},
			{Arm: "dskd", Label: "seed 2", Score: 0.7},
			{Arm: "unet", Label: "seed 2", Score: math.NaN()},
			{Arm: "dskd", Label: "seed 3", Score: 0.8},
			{Arm: "unet", Label: "seed 3", Score: 0.75},
		},
		Notes: []string{"go run ./cmd/dskd study ..."},
	}
}

func TestWriteStudyHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "study", "study.html")
	require.NoError(t, WriteStudyHTML(path, testStudy()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(b)
	assert.Contains(t, page, "<title>DSKD against U-Net, 3 seeds</title>")
	assert.Equal(t, []string{"dskd|3|0.7000 ± 0.1000", "unet|2 (1 failed)|0.7500 ± 0.0000"}, rows(section(t, page, "arms-table", "</table>")))
	assert.Contains(t, page, "go run ./cmd/dskd study ...")

	plot := section(t, page, "study-plot", "</svg>")
	assert.Equal(t, 5, strings.Count(plot, "<circle"), "one dot per finished run")
	assert.Contains(t, plot, "<title>dskd mean: 0.7000</title>")
	assert.Contains(t, plot, "<title>unet mean: 0.7500</title>")
	assert.Contains(t, plot, ">unet (n=2), 1 failed<")
	assert.Less(t, strings.Index(plot, ">dskd (n=3)<"), strings.Index(plot, ">unet (n=2)"), "arms in order of first appearance")

	runs := section(t, page, "runs-table", "</table>")
	assert.Contains(t, runs, `class="sortable"`)
	require.Len(t, rows(runs), 6)
	assert.Equal(t, "dskd|seed 1|0.6000|open", rows(runs)[0])
	assert.Equal(t, "unet|seed 2|–|", rows(runs)[3])
	assert.Contains(t, runs, `<a href="dskd-1/report.html">open</a>`)
}

func TestWriteStudyHTMLErrors(t *testing.T) {
	s := testStudy()
	s.Rows[1] = s.Rows[1][:2]
	path := filepath.Join(t.TempDir(), "study.html")
	err := WriteStudyHTML(path, s)
	assert.ErrorIs(t, err, ErrSize)
	assert.EqualError(t, err, "report: "+path+": size mismatch: arms table row 1 has 2 cells for 3 columns")
	assert.NoFileExists(t, path)

	require.NoError(t, WriteStudyHTML(path, Study{}), "an empty study still renders")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "no finished run yet")
}
