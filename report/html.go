package report

import (
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/angioseg/dskd/metrics"
)

//go:embed assets/*.tmpl
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"tbl": func(id string, t *table) tableArgs { return tableArgs{ID: id, T: t} },
}).ParseFS(assets, "assets/*.tmpl"))

// tableArgs are the arguments of the "table" template.
type tableArgs struct {
	ID string
	T  *table
}

// WriteHTML writes runDir/report.html, one self-contained page (plots as
// inline SVG, overlays as inline PNG, no network) built only from the
// files in runDir, so it also works for a run that stopped or crashed:
// config.json, metrics.csv, split.json, val_metrics.json,
// test_metrics.json and overlays/*.png. Each is optional, but the folder
// must hold config.json or metrics.csv. Files older than config.json are
// left over from an earlier run in the same folder and are not shown.
func WriteHTML(runDir string) error {
	r, err := readRunFolder(runDir)
	if err != nil {
		return err
	}
	p, err := r.page(time.Now())
	if err != nil {
		return prefixed(runDir, err)
	}
	return writeAtomic(filepath.Join(runDir, ReportFile), func(w io.Writer) error {
		return pages.ExecuteTemplate(w, "run.tmpl", p)
	})
}

// runPage is the template data of report.html.
type runPage struct {
	Title, Dir, Generated string
	Status, StatusClass   string
	Cards                 []card
	Notes                 []string
	Charts                []template.HTML
	Metrics               *table
	MetricsNote           string
	Gallery               *gallery
	PerImage              []namedTable
	Epochs                *table
	Split                 *splitView
	Config                []keyValue
}

type card struct{ Label, Value, Sub string }

// table is a header and rows of cells; Sortable tables get the click-to-
// sort script.
type table struct {
	Header   []string
	Rows     [][]cell
	Sortable bool
	Mark     int // row index highlighted (-1: none)
}

// cell is a displayed value with its sort key (numbers: the value, "" for
// NaN) and an optional background.
type cell struct {
	Text  string
	Sort  string
	Style template.CSS
}

type namedTable struct {
	ID, Title string
	Table     *table
}

type gallery struct {
	Split         string
	Worst, Best   []figure
	Other         []figure // overlays without a score in that split
	Total, Ranked int
}

type figure struct {
	Name, Caption string
	Src           template.URL
}

type splitView struct {
	Rows     []splitRow
	Excluded []Excluded
}

type splitRow struct {
	Split string
	Count int
	Names string
}

func (r *runFolder) page(now time.Time) (*runPage, error) {
	p := &runPage{
		Title:     filepath.Base(filepath.Clean(r.Dir)),
		Dir:       r.Dir,
		Generated: now.Format("2006-01-02 15:04:05"),
		Notes:     r.Notes,
		Config:    r.Config,
	}
	if abs, err := filepath.Abs(r.Dir); err == nil {
		p.Dir = abs
	}
	p.Status, p.StatusClass = r.status()
	p.Cards = r.cards()
	p.Charts = r.charts()
	p.Metrics, p.MetricsNote = r.metricsTable()
	g, err := r.gallery()
	if err != nil {
		return nil, err
	}
	p.Gallery = g
	for _, s := range []struct {
		id, title string
		m         *splitMetrics
	}{{"per-image-test", "Test", r.Test}, {"per-image-val", "Validation", r.Val}} {
		if s.m != nil && len(s.m.Images) > 0 {
			p.PerImage = append(p.PerImage, namedTable{ID: s.id, Title: s.title, Table: perImageTable(s.m)})
		}
	}
	p.Epochs = r.epochTable()
	p.Split = r.splitView()
	return p, nil
}

// bestEpoch is the index in History of the first highest validation
// Dice, as the trainer picks it; -1 when none is finite.
func (r *runFolder) bestEpoch() int {
	best := -1
	for i, h := range r.History {
		if finite(h.ValDice) && (best < 0 || h.ValDice > r.History[best].ValDice) {
			best = i
		}
	}
	return best
}

func (r *runFolder) status() (string, string) {
	n, e := len(r.History), r.Epochs
	of := strconv.Itoa(n)
	if e > 0 {
		of = fmt.Sprintf("%d of %d", n, e)
	}
	switch {
	case r.Val != nil && (e == 0 || n >= e):
		return fmt.Sprintf("finished: %s epochs, best model evaluated", of), "ok"
	case r.Val != nil:
		return fmt.Sprintf("stopped early after %s epochs; best model evaluated", of), "warn"
	case n == 0:
		return "no epoch finished yet (crashed, stopped or still running)", "bad"
	}
	return fmt.Sprintf("incomplete: %s epochs, no final evaluation (crashed, stopped or still running)", of), "bad"
}

func (r *runFolder) cards() []card {
	var cs []card
	if e := len(r.History); e > 0 {
		total := 0.0
		for _, h := range r.History {
			if finite(h.Seconds) {
				total += h.Seconds
			}
		}
		of := ""
		if r.Epochs > 0 {
			of = fmt.Sprintf(" / %d", r.Epochs)
		}
		cs = append(cs, card{Label: "epochs", Value: fmt.Sprintf("%d%s", e, of), Sub: "training " + (time.Duration(total * float64(time.Second))).Round(time.Second).String()})
	}
	if b := r.bestEpoch(); b >= 0 {
		cs = append(cs, card{Label: "best validation Dice", Value: fmtValue(r.History[b].ValDice), Sub: fmt.Sprintf("epoch %d, pooled, during training", r.History[b].Epoch)})
	}
	for _, s := range []struct {
		label string
		m     *splitMetrics
	}{{"validation Dice, best model", r.Val}, {"test Dice, best model", r.Test}} {
		if s.m == nil {
			continue
		}
		for _, sm := range s.m.Summary {
			if sm.Metric == string(metrics.MetricDice) {
				cs = append(cs, card{Label: s.label, Value: fmtValue(sm.Pooled),
					Sub: fmt.Sprintf("pooled; per image %s ± %s (n = %d)", fmtValue(sm.Mean), fmtValue(sm.Std), sm.N)})
			}
		}
	}
	if r.Split != nil {
		cs = append(cs, card{Label: "images train / val / test", Value: fmt.Sprintf("%d / %d / %d", len(r.Split.Train), len(r.Split.Val), len(r.Split.Test))})
	}
	return cs
}

// Colours of the loss terms and scores, fixed so the same term has the
// same colour in every chart and run.
var termColors = map[string]string{
	"total": "#111111", "dice": "#1f77b4", "bce": "#ff7f0e", "psdl": "#2ca02c", "ddl": "#d62728",
	"deep_sup": "#9467bd", "val_dice": "#1f77b4", "val_iou": "#8c564b", "val_sensitivity": "#e377c2",
	"val_precision": "#7f7f7f", "val_auc": "#bcbd22", "alpha": "#2ca02c", "lambda_ddl": "#d62728", "lr": "#17becf",
}

func termColor(name string, i int) string {
	if c, ok := termColors[name]; ok {
		return c
	}
	palette := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	return palette[i%len(palette)]
}

func (r *runFolder) seriesOf(name, label string, get func(EpochRecord) (float64, bool)) svgSeries {
	s := svgSeries{Name: label, Color: termColor(name, 0)}
	for _, h := range r.History {
		v, ok := get(h)
		if !ok {
			v = math.NaN()
		}
		s.Points = append(s.Points, xy{X: float64(h.Epoch), Y: v})
	}
	return s
}

// charts: all loss terms together, each term on its own scale (a spike
// in one does not flatten the others), validation scores, α and λ_DDL,
// and the learning rate.
func (r *runFolder) charts() []template.HTML {
	if len(r.History) == 0 {
		return nil
	}
	parts := partNames(r.History)
	part := func(name string) func(EpochRecord) (float64, bool) {
		return func(h EpochRecord) (float64, bool) { v, ok := h.Parts[name]; return v, ok }
	}
	all := newChart("Training loss: total and terms (epoch means)")
	all.Series = append(all.Series, r.seriesOf("total", "total", func(h EpochRecord) (float64, bool) { return h.TrainLoss, true }))
	all.Series[0].Width = 2.5
	for _, n := range parts {
		all.Series = append(all.Series, r.seriesOf(n, n, part(n)))
	}
	out := []template.HTML{all.SVG()}

	val := newChart("Validation scores (pooled, threshold of the run)")
	val.YMin, val.YMax = 0, 1
	val.Series = append(val.Series, r.seriesOf("val_dice", "Dice", func(h EpochRecord) (float64, bool) { return h.ValDice, true }))
	for _, n := range valScoreNames(r.History) {
		val.Series = append(val.Series, r.seriesOf(n, strings.TrimPrefix(n, "val_"), func(h EpochRecord) (float64, bool) { v, ok := h.ValScores[n]; return v, ok }))
	}
	if b := r.bestEpoch(); b >= 0 {
		val.MarkX, val.MarkLabel = float64(r.History[b].Epoch), "best"
	}
	out = append(out, val.SVG())

	for _, n := range parts {
		c := newChart("Loss term " + n + " (unweighted)")
		c.Series = []svgSeries{r.seriesOf(n, n, part(n))}
		out = append(out, c.SVG())
	}

	sched := newChart("Schedules: α (PSDL) and λ_DDL")
	sched.Series = []svgSeries{
		r.seriesOf("alpha", "α", func(h EpochRecord) (float64, bool) { return h.Alpha, true }),
		r.seriesOf("lambda_ddl", "λ_DDL", func(h EpochRecord) (float64, bool) { return h.LambdaDDL, true }),
	}
	sched.YMin = 0
	if _, _, _, hi, ok := sched.dataRange(); ok && hi > 0 {
		sched.YMax = hi * 1.06
	}
	lr := newChart("Learning rate")
	lr.Series = []svgSeries{r.seriesOf("lr", "lr", func(h EpochRecord) (float64, bool) { return h.LR, true })}
	return append(out, sched.SVG(), lr.SVG())
}

// metricsTable puts validation and test summaries side by side.
func (r *runFolder) metricsTable() (*table, string) {
	type col struct {
		name string
		m    *splitMetrics
	}
	var cols []col
	for _, c := range []col{{"validation", r.Val}, {"test", r.Test}} {
		if c.m != nil && len(c.m.Summary) > 0 {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil, ""
	}
	t := &table{Header: []string{"metric"}, Mark: -1}
	var notes []string
	for _, c := range cols {
		n := c.m.Summary[0].N
		t.Header = append(t.Header, c.name+" pooled", fmt.Sprintf("%s mean ± std (%s)", c.name, plural(n, "image")))
		notes = append(notes, fmt.Sprintf("%s at threshold %g", c.name, c.m.Threshold))
	}
	for _, metric := range metrics.AllMetrics {
		row := []cell{{Text: string(metric)}}
		any := false
		for _, c := range cols {
			s, ok := c.m.summary(string(metric))
			if !ok {
				row = append(row, cell{Text: "–"}, cell{Text: "–"})
				continue
			}
			any = true
			row = append(row, cell{Text: fmtValue(s.Pooled)}, cell{Text: fmtValue(s.Mean) + " ± " + fmtValue(s.Std)})
		}
		if any {
			t.Rows = append(t.Rows, row)
		}
	}
	note := "Pooled: from the confusion counts of all pixels together; mean ± std: over images (sample std). " +
		"Scores of the best-on-validation checkpoint; " + strings.Join(notes, ", ") + " (positive when p ≥ t)."
	return t, note
}

func (m *splitMetrics) summary(metric string) (metricSummary, bool) {
	for _, s := range m.Summary {
		if s.Metric == metric {
			return s, true
		}
	}
	return metricSummary{}, false
}

func numCell(v float64) cell {
	if math.IsNaN(v) {
		return cell{Text: "–"}
	}
	return cell{Text: fmtValue(v), Sort: strconv.FormatFloat(v, 'g', -1, 64)}
}

// scoreCell tints a score in [0,1] from red (0) to green (1).
func scoreCell(v float64) cell {
	c := numCell(v)
	if finite(v) {
		hue := 120 * math.Max(0, math.Min(1, v))
		c.Style = template.CSS(fmt.Sprintf("background:hsl(%.0f,70%%,86%%)", hue))
	}
	return c
}

func perImageTable(m *splitMetrics) *table {
	t := &table{Header: []string{"image"}, Sortable: true, Mark: -1}
	var cols []string
	for _, metric := range metrics.AllMetrics {
		for _, im := range m.Images {
			if !math.IsNaN(im.Scores[string(metric)]) {
				cols = append(cols, string(metric))
				break
			}
		}
	}
	t.Header = append(t.Header, cols...)
	for _, im := range m.Images {
		row := []cell{{Text: im.Name, Sort: im.Name}}
		for _, c := range cols {
			row = append(row, scoreCell(im.Scores[c]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (r *runFolder) epochTable() *table {
	if len(r.History) == 0 {
		return nil
	}
	parts, scores := partNames(r.History), valScoreNames(r.History)
	t := &table{Header: []string{"epoch", "loss"}, Sortable: true, Mark: r.bestEpoch()}
	t.Header = append(append(append(t.Header, parts...), "val_dice"), scores...)
	t.Header = append(t.Header, "lr", "α", "λ_DDL", "seconds")
	for _, h := range r.History {
		row := []cell{{Text: strconv.Itoa(h.Epoch), Sort: strconv.Itoa(h.Epoch)}, numCell(h.TrainLoss)}
		for _, n := range parts {
			v, ok := h.Parts[n]
			if !ok {
				v = math.NaN()
			}
			row = append(row, numCell(v))
		}
		row = append(row, scoreCell(h.ValDice))
		for _, n := range scores {
			v, ok := h.ValScores[n]
			if !ok {
				v = math.NaN()
			}
			row = append(row, numCell(v))
		}
		lr := numCell(h.LR)
		if finite(h.LR) {
			lr.Text = strconv.FormatFloat(h.LR, 'g', 4, 64)
		}
		secs := numCell(h.Seconds)
		if finite(h.Seconds) {
			secs.Text = strconv.FormatFloat(h.Seconds, 'f', 1, 64)
		}
		row = append(row, lr, numCell(h.Alpha), numCell(h.LambdaDDL), secs)
		t.Rows = append(t.Rows, row)
	}
	return t
}

// gallery sorts the overlays that have a Dice in the test split (else
// validation) into the worst and the best half of that split's ranking.
func (r *runFolder) gallery() (*gallery, error) {
	if len(r.Overlays) == 0 {
		return nil, nil
	}
	g := &gallery{}
	m := r.Test
	g.Split = "test"
	if m == nil || len(m.Images) == 0 {
		m, g.Split = r.Val, "validation"
	}
	var ranked []imageScores
	if m != nil {
		for _, im := range m.Images {
			if d := im.Scores[string(metrics.MetricDice)]; !math.IsNaN(d) {
				ranked = append(ranked, im)
			}
		}
	}
	sort.SliceStable(ranked, func(a, b int) bool {
		return ranked[a].Scores[string(metrics.MetricDice)] < ranked[b].Scores[string(metrics.MetricDice)]
	})
	g.Total = len(ranked)
	used := map[string]bool{}
	for rank, im := range ranked {
		stem := strings.TrimSuffix(OverlayFileName(im.Name), ".png")
		path, ok := r.Overlays[stem]
		if !ok || used[stem] {
			continue
		}
		used[stem] = true
		d := im.Scores[string(metrics.MetricDice)]
		f, err := newFigure(im.Name, fmt.Sprintf("Dice %s · rank %d of %d", fmtValue(d), rank+1, len(ranked)), path)
		if err != nil {
			return nil, err
		}
		g.Ranked++
		if rank < (len(ranked)+1)/2 {
			g.Worst = append(g.Worst, f)
		} else {
			g.Best = append(g.Best, f)
		}
	}
	// Best first in its own row.
	for i, j := 0, len(g.Best)-1; i < j; i, j = i+1, j-1 {
		g.Best[i], g.Best[j] = g.Best[j], g.Best[i]
	}
	for _, stem := range r.sortedOverlayNames() {
		if used[stem] {
			continue
		}
		f, err := newFigure(stem, "no score in the "+g.Split+" split", r.Overlays[stem])
		if err != nil {
			return nil, err
		}
		g.Other = append(g.Other, f)
	}
	return g, nil
}

func newFigure(name, caption, path string) (figure, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return figure{}, err
	}
	return figure{Name: name, Caption: caption, Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))}, nil
}

func (r *runFolder) splitView() *splitView {
	if r.Split == nil {
		return nil
	}
	v := &splitView{Excluded: r.Split.Excluded}
	for _, s := range []struct {
		name  string
		names []string
	}{{"train", r.Split.Train}, {"validation", r.Split.Val}, {"test", r.Split.Test}} {
		v.Rows = append(v.Rows, splitRow{Split: s.name, Count: len(s.names), Names: strings.Join(s.names, ", ")})
	}
	return v
}

// plural writes "1 image", "3 images".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
