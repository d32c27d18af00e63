package report

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Study is what a study runner (several arms, each trained several times)
// hands to WriteStudyHTML. The runner owns the statistics: the arms table
// arrives formatted; the page adds a plot of every run's score by arm and
// a sortable table of the runs.
type Study struct {
	// Title heads the page, e.g. "DSKD against U-Net on DCA1, 5 seeds".
	Title string
	// Metric names the score in Runs, e.g. "test Dice (pooled)".
	Metric string
	// Columns is the header of the arms table; each row of Rows has one
	// cell per column, already formatted (e.g. "0.7412 ± 0.0123").
	Columns []string
	Rows    [][]string
	// Runs holds one score per training run. The plot groups them by
	// Arm, arms in the order they first appear.
	Runs []StudyRun
	// Notes are shown under the arms table (command, machine, caveats).
	Notes []string
}

// StudyRun is one training run of a study.
type StudyRun struct {
	Arm   string  // the arm the run belongs to
	Label string  // tells the runs of an arm apart, e.g. "seed 3"
	Score float64 // Study.Metric of the run; NaN for a run that failed
	// Report is the run's report.html as a path relative to the study
	// page (or empty); the runs table links to it.
	Report string
}

// WriteStudyHTML writes s as one self-contained page to path (atomically,
// creating folders). Rows whose length differs from Columns are an error.
func WriteStudyHTML(path string, s Study) error {
	for i, r := range s.Rows {
		if len(r) != len(s.Columns) {
			return prefixed(path, fmt.Errorf("%w: arms table row %d has %d cells for %d columns", ErrSize, i, len(r), len(s.Columns)))
		}
	}
	p := studyPage{Study: s, Generated: time.Now().Format("2006-01-02 15:04:05"), Plot: stripChart(s)}
	if p.Title == "" {
		p.Title = "dskd study"
	}
	p.Arms = &table{Header: s.Columns, Mark: -1}
	for _, r := range s.Rows {
		row := make([]cell, len(r))
		for i, c := range r {
			row[i] = cell{Text: c}
		}
		p.Arms.Rows = append(p.Arms.Rows, row)
	}
	p.RunsTable = &table{Header: []string{"arm", "run", s.Metric}, Sortable: true, Mark: -1}
	for _, r := range s.Runs {
		p.RunsTable.Rows = append(p.RunsTable.Rows, []cell{{Text: r.Arm, Sort: r.Arm}, {Text: r.Label, Sort: r.Label}, scoreCell(r.Score)})
		p.Links = append(p.Links, r.Report)
	}
	return writeAtomic(path, func(w io.Writer) error { return pages.ExecuteTemplate(w, "study.tmpl", p) })
}

type studyPage struct {
	Study
	Generated string
	Plot      template.HTML
	Arms      *table
	RunsTable *table
	Links     []string // per row of RunsTable; "" for none
}

// stripChart draws every run's score as a dot above its arm, with the
// arm's mean as a bar. Dots of an arm are spread sideways in run order so
// that equal scores stay visible.
func stripChart(s Study) template.HTML {
	var arms []string
	byArm := map[string][]StudyRun{}
	for _, r := range s.Runs {
		if _, ok := byArm[r.Arm]; !ok {
			arms = append(arms, r.Arm)
		}
		byArm[r.Arm] = append(byArm[r.Arm], r)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range s.Runs {
		if finite(r.Score) {
			lo, hi = math.Min(lo, r.Score), math.Max(hi, r.Score)
		}
	}
	const w, h = 640.0, 300.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="study-plot" viewBox="0 0 %g %g" role="img" aria-label="%s by arm">`, w, h, html.EscapeString(s.Metric))
	fmt.Fprintf(&b, `<text class="title" x="%g" y="16">%s by arm, one dot per run; bar: mean</text>`, marginL, html.EscapeString(s.Metric))
	if len(arms) == 0 || math.IsInf(lo, 1) {
		fmt.Fprintf(&b, `<text class="empty" x="%g" y="%g">no finished run yet</text></svg>`, w/2, h/2)
		return template.HTML(b.String())
	}
	y0, y1 := padRange(lo, hi)
	top, bottom, right := 30.0, h-40, w-marginR
	py := func(v float64) float64 { return bottom - (v-y0)/(y1-y0)*(bottom-top) }
	step := niceStep((y1 - y0) / 4)
	for _, v := range ticks(y0, y1, step) {
		fmt.Fprintf(&b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, marginL, py(v), right, py(v))
		fmt.Fprintf(&b, `<text class="ytick" x="%g" y="%.1f">%s</text>`, marginL-4, py(v)+3.5, tickLabel(v, step))
	}
	fmt.Fprintf(&b, `<rect class="frame" x="%g" y="%g" width="%g" height="%g"/>`, marginL, top, right-marginL, bottom-top)
	slot := (right - marginL) / float64(len(arms))
	for i, arm := range arms {
		cx := marginL + slot*(float64(i)+0.5)
		color := termColor("", i)
		runs := byArm[arm]
		sum, n, failed := 0.0, 0, 0
		for j, r := range runs {
			if !finite(r.Score) {
				failed++
				continue
			}
			sum += r.Score
			n++
			dx := (float64(j) - float64(len(runs)-1)/2) * math.Min(10, slot*0.5/float64(max(1, len(runs))))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" fill-opacity="0.75"><title>%s %s: %s</title></circle>`,
				cx+dx, py(r.Score), color, html.EscapeString(arm), html.EscapeString(r.Label), fmtValue(r.Score))
		}
		if n > 0 {
			m := sum / float64(n)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#111" stroke-width="2"><title>%s mean: %s</title></line>`,
				cx-slot*0.3, py(m), cx+slot*0.3, py(m), html.EscapeString(arm), fmtValue(m))
		}
		label := arm + " (n=" + strconv.Itoa(n) + ")"
		if failed > 0 {
			label += fmt.Sprintf(", %d failed", failed)
		}
		fmt.Fprintf(&b, `<text class="xtick" x="%.1f" y="%g">%s</text>`, cx, bottom+16, html.EscapeString(label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
