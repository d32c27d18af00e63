package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/metrics"
)

// The 2x2 images of the fabricated run: every mask is [1 1 0 0].
var (
	fakeMask  = []float32{1, 1, 0, 0}
	fakeTests = []struct {
		name  string
		probs []float32
	}{
		{"a", []float32{1, 1, 0, 0}}, // Dice 1
		{"b", []float32{1, 0, 0, 0}}, // TP 1, FN 1: Dice 2/3
		{"c", []float32{0, 0, 1, 1}}, // Dice 0
		{"d", []float32{1, 1, 1, 0}}, // TP 2, FP 1: Dice 4/5
	}
)

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func writeResult(t *testing.T, path string, images []struct {
	name  string
	probs []float32
}) {
	t.Helper()
	acc, err := metrics.NewAccumulator()
	require.NoError(t, err)
	for _, im := range images {
		require.NoError(t, acc.Add(im.name, im.probs, fakeMask, 2, 2))
	}
	b, err := json.Marshal(acc.Result())
	require.NoError(t, err)
	writeFile(t, path, b)
}

func writeOverlay(t *testing.T, dir, name string, probs []float32) {
	t.Helper()
	img := &data.Image{W: 2, H: 2, Pix: []float32{0.2, 0.4, 0.6, 0.8}}
	require.NoError(t, WriteOverlayPNG(filepath.Join(dir, "overlays", OverlayFileName(name)), img, probs, &data.Image{W: 2, H: 2, Pix: fakeMask}, 0.5))
}

// fakeRun writes a finished three-epoch run with a DDL spike at epoch 1.
func fakeRun(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "run-a")
	// An overlay left by an earlier run in the same folder (older than config.json).
	writeOverlay(t, dir, "old", fakeTests[0].probs)
	past := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "overlays", "old.png"), past, past))

	writeFile(t, filepath.Join(dir, "config.json"), []byte(`{"epochs": 3, "batch_size": 4,
		"optimizer": {"name": "adamw", "weight_decay": 1e-05}, "loss": {"preset": "dskd", "ds_weights": [0.5, 0.25]}, "out_dir": "runs/<a>"}`))
	history := []EpochRecord{
		{Epoch: 0, TrainLoss: 1.2, Parts: map[string]float64{"dice": 0.9, "psdl": 0.3, "ddl": 0}, ValDice: 0.5, LR: 0.001, Seconds: 10},
		{Epoch: 1, TrainLoss: 3.1, Parts: map[string]float64{"dice": 0.7, "psdl": 0.25, "ddl": 2.5}, ValDice: 0.7, LR: 0.001, Alpha: 1.0 / 6, LambdaDDL: 1.0 / 3, Seconds: 12},
		{Epoch: 2, TrainLoss: 0.9, Parts: map[string]float64{"dice": 0.5, "psdl": 0.2, "ddl": 0.3}, ValDice: 0.65, LR: 0.0005000000000000002, Alpha: 1.0 / 3, LambdaDDL: 2.0 / 3, Seconds: 11},
	}
	require.NoError(t, WriteMetricsCSVFile(filepath.Join(dir, "metrics.csv"), history))
	require.NoError(t, WriteSplitJSON(filepath.Join(dir, SplitFile), SplitInfo{
		Train: []string{"t1", "t2", "t3"}, Val: []string{"v1"}, Test: []string{"a", "b", "c", "d"},
		Excluded: []Excluded{{Split: "test", Name: "e", Problem: "/data/e.pgm: decoding: pgm: truncated pixel data"}},
	}))
	writeResult(t, filepath.Join(dir, "val_metrics.json"), fakeTests[:1])
	writeResult(t, filepath.Join(dir, "test_metrics.json"), fakeTests)
	writeOverlay(t, dir, "c", fakeTests[2].probs)
	writeOverlay(t, dir, "a", fakeTests[0].probs)
	writeOverlay(t, dir, "zz", fakeTests[0].probs) // no score in the test split
	return dir
}

func readReport(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	return string(b)
}

// section returns the HTML of the element with the given id up to the
// next </section> or </table>.
func section(t *testing.T, page, id, end string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	require.GreaterOrEqual(t, i, 0, "no element with id %q", id)
	j := strings.Index(page[i:], end)
	require.Greater(t, j, 0)
	return page[i : i+j]
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// rows returns the text of each body row, cells joined by "|".
func rows(table string) []string {
	var out []string
	for _, tr := range strings.Split(table, "<tr")[2:] { // skip the header row
		cells := strings.Split(tr, "</td>")
		var texts []string
		for _, c := range cells[:len(cells)-1] {
			texts = append(texts, strings.TrimSpace(tagRE.ReplaceAllString(c[strings.Index(c, "<td"):], "")))
		}
		out = append(out, strings.Join(texts, "|"))
	}
	return out
}

func TestWriteHTMLFinishedRun(t *testing.T) {
	dir := fakeRun(t)
	require.NoError(t, WriteHTML(dir))
	page := readReport(t, dir)

	assert.Contains(t, page, "<title>dskd run run-a</title>")
	assert.Contains(t, page, "finished: 3 of 3 epochs, best model evaluated")
	assert.NotContains(t, page, "http://", "no network reference")
	assert.NotContains(t, page, "https://")
	assert.NotContains(t, page, "ZgotmplZ", "no value rejected by html/template")

	// Pooled test Dice: TP 5, FP 3, FN 3 -> 10/16; per image 1, 2/3, 0, 4/5:
	// mean 0.6167, sample std 0.4333.
	metricsRows := rows(section(t, page, "metrics-table", "</table>"))
	require.Len(t, metricsRows, len(metrics.AllMetrics))
	assert.Equal(t, "dice|1.0000|1.0000 ± –|0.6250|0.6167 ± 0.4333", metricsRows[0])
	assert.Contains(t, page, "<th>validation mean ± std (1 image)</th>")
	assert.Contains(t, page, "<th>test mean ± std (4 images)</th>")

	perImage := rows(section(t, page, "per-image-test", "</table>"))
	require.Len(t, perImage, 4)
	assert.True(t, strings.HasPrefix(perImage[1], "b|0.6667|0.5000|"), perImage[1]) // IoU 1/2
	assert.Contains(t, section(t, page, "per-image-test", "</table>"), `class="sortable"`)
	assert.Contains(t, page, `<td data-v="0.6666666666666666" style="background:hsl(80,70%,86%)">0.6667</td>`)

	// The gallery: c is the worst (rank 1 of 4), a the best (rank 4); zz has
	// no test score; the stale overlay is left out with a note.
	gallery := section(t, page, "gallery", "</section>")
	worst := gallery[strings.Index(gallery, "Worst by Dice"):strings.Index(gallery, "Best by Dice")]
	best := gallery[strings.Index(gallery, "Best by Dice"):strings.Index(gallery, "Other overlays")]
	other := gallery[strings.Index(gallery, "Other overlays"):]
	assert.Contains(t, worst, "<b>c</b><br>Dice 0.0000 · rank 1 of 4")
	assert.Contains(t, best, "<b>a</b><br>Dice 1.0000 · rank 4 of 4")
	assert.Contains(t, other, "<b>zz</b><br>no score in the test split")
	assert.Equal(t, 3, strings.Count(gallery, `<img src="data:image/png;base64,iVBORw0KGgo`), "three inline PNGs")
	assert.NotContains(t, gallery, "<b>old</b>")
	assert.Contains(t, page, "1 overlay(s) older than config.json (left by an earlier run in this folder): not shown")

	// Epochs: the best epoch (highest validation Dice, epoch 1) is marked;
	// the learning rate is rounded for reading.
	epochs := section(t, page, "epochs-table", "</table>")
	assert.Contains(t, epochs, `<th>epoch</th><th>loss</th><th>ddl</th><th>dice</th><th>psdl</th><th>val_dice</th><th>lr</th><th>α</th><th>λ_DDL</th><th>seconds</th>`)
	epochRows := rows(epochs)
	require.Len(t, epochRows, 3)
	assert.Equal(t, "2|0.9000|0.3000|0.5000|0.2000|0.6500|0.0005|0.3333|0.6667|11.0", epochRows[2])
	assert.Contains(t, epochs, `<tr class="mark"><td data-v="1">1</td>`)

	// Charts: one per loss term besides the overview, with the DDL spike.
	curves := section(t, page, "curves", "</section>")
	assert.Equal(t, 7, strings.Count(curves, `<svg class="chart"`), "overview, validation, ddl, dice, psdl, schedules, lr")
	assert.Contains(t, curves, "<title>epoch 1: ddl = 2.5000</title>")
	assert.Contains(t, curves, "<title>epoch 2: λ_DDL = 0.6667</title>")

	split := section(t, page, "split-table", "</table>")
	assert.Equal(t, []string{"train|3|showt1, t2, t3", "validation|1|showv1", "test|4|showa, b, c, d"}, rows(split))
	assert.Contains(t, rows(section(t, page, "excluded-table", "</table>"))[0], "test|e|/data/e.pgm: decoding")

	cfg := section(t, page, "config", "</section>")
	keys := regexp.MustCompile(`<span class="k">([^<]*)</span>`).FindAllStringSubmatch(cfg, -1)
	var names []string
	for _, k := range keys {
		names = append(names, k[1])
	}
	assert.Equal(t, []string{"epochs", "batch_size", "optimizer.name", "optimizer.weight_decay", "loss.preset", "loss.ds_weights", "out_dir"}, names, "file order, nested keys dotted")
	assert.Contains(t, cfg, `<span class="v">[0.5, 0.25]</span>`)
	assert.Contains(t, cfg, `<span class="v">runs/&lt;a&gt;</span>`, "values are escaped")
}

// A run that crashed after two of five epochs has a config and
// metrics.csv only; the results of an earlier run in the folder are stale.
func TestWriteHTMLCrashedRun(t *testing.T) {
	dir := fakeRun(t)
	past := time.Now().Add(-time.Hour)
	for _, f := range []string{"val_metrics.json", "test_metrics.json", "overlays/a.png", "overlays/c.png", "overlays/zz.png"} {
		require.NoError(t, os.Chtimes(filepath.Join(dir, f), past, past))
	}
	writeFile(t, filepath.Join(dir, "config.json"), []byte(`{"epochs": 5}`))
	h, err := ReadMetricsCSVFile(filepath.Join(dir, "metrics.csv"))
	require.NoError(t, err)
	require.NoError(t, WriteMetricsCSVFile(filepath.Join(dir, "metrics.csv"), h[:2]))

	require.NoError(t, WriteHTML(dir))
	page := readReport(t, dir)
	assert.Contains(t, page, "incomplete: 2 of 5 epochs, no final evaluation (crashed, stopped or still running)")
	assert.Contains(t, page, "val_metrics.json is older than config.json (left by an earlier run in this folder): not shown")
	assert.Contains(t, page, "4 overlay(s) older than config.json")
	assert.NotContains(t, page, `id="metrics-table"`)
	assert.NotContains(t, page, `id="gallery"`)
	assert.Len(t, rows(section(t, page, "epochs-table", "</table>")), 2)
}

func TestWriteHTMLConfigOnly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.json"), []byte(`{"epochs": 5}`))
	require.NoError(t, WriteHTML(dir))
	page := readReport(t, dir)
	assert.Contains(t, page, "no epoch finished yet (crashed, stopped or still running)")
	assert.NotContains(t, page, `id="curves"`)
}

func TestWriteHTMLErrors(t *testing.T) {
	dir := t.TempDir()
	err := WriteHTML(dir)
	assert.EqualError(t, err, "report: "+dir+" is not a run folder: it has neither config.json nor metrics.csv")
	assert.ErrorIs(t, WriteHTML(filepath.Join(dir, "missing")), os.ErrNotExist)

	writeFile(t, filepath.Join(dir, "config.json"), []byte(`{"epochs": 5`))
	writeFile(t, filepath.Join(dir, "metrics.csv"), []byte("nonsense\n"))
	require.NoError(t, WriteHTML(dir), "unreadable files are notes on the page, not errors")
	page := readReport(t, dir)
	assert.Contains(t, page, "config.json: unexpected end of JSON input")
	assert.Contains(t, page, `metrics.csv: header [nonsense] has no &#34;epoch&#34; column`)
}
