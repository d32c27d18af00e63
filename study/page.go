package study

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteInto puts the study's tables (results.md, its sections one level
// under the page's heading above them) into a Markdown page, between the lines
//
//	<!-- dskd study: NAME -->
//	<!-- end of dskd study: NAME -->
//
// where NAME is the study folder's name; what lies between them is
// replaced, the rest of the page is kept. A page without them gets them,
// under a heading "## NAME", at its end; a missing page is created. So a
// results page shows the tables the tool computed, never retyped ones,
// and `dskd study --report --into PAGE` brings them up to date. The plot
// is copied beside the page (PAGE-STEM-NAME.png) and linked there, and the
// per-run table is named by its study folder, since the page lies
// elsewhere.
func (res *Result) WriteInto(page string) error {
	var tables bytes.Buffer
	if err := res.WriteMarkdown(&tables); err != nil {
		return err
	}
	md, err := pageLinks(tables.String(), res.Dir, page)
	if err != nil {
		return err
	}
	return res.writeBlock(page, md, true)
}

// WriteBriefInto is WriteInto with WriteBrief's one table: for a README,
// whose full tables live on a results page.
func (res *Result) WriteBriefInto(page string) error {
	var table bytes.Buffer
	if err := res.WriteBrief(&table); err != nil {
		return err
	}
	return res.writeBlock(page, table.String(), false)
}

// writeBlock puts md between the study's markers in page (see WriteInto);
// with nest, md's headings move under the page's heading above the markers.
func (res *Result) writeBlock(page, md string, nest bool) error {
	name := filepath.Base(res.Dir)
	begin := "<!-- dskd study: " + name + " -->"
	end := "<!-- end of dskd study: " + name + " -->"
	old, err := os.ReadFile(page)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("study: %w", err)
	}
	text := string(old)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if nest {
		level := 2 // a new block gets a "## NAME" section
		if i >= 0 {
			level = enclosingLevel(text[:i])
		}
		md = nestHeadings(md, level)
	}
	block := begin + "\n" + md + end
	switch {
	case i >= 0 && j > i:
		text = text[:i] + block + text[j+len(end):]
	case i >= 0 || j >= 0:
		return fmt.Errorf("study: %s: the markers of study %s are incomplete or out of order; want %q, then %q", page, name, begin, end)
	default:
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if text != "" {
			text += "\n"
		}
		text += "## " + name + "\n\n" + block + "\n"
	}
	return writeFile(page, func(w io.Writer) error { _, err := io.WriteString(w, text); return err })
}

// nestHeadings drops results.md's title and moves its other headings
// down so that its sections ("##") sit one level under a heading of the
// given level.
func nestHeadings(md string, level int) string {
	shift := strings.Repeat("#", max(level-1, 0))
	var out []string
	for _, l := range strings.Split(strings.TrimRight(md, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "# "):
			continue
		case strings.HasPrefix(l, "#"):
			l = shift + l
		}
		out = append(out, l)
	}
	return strings.TrimLeft(strings.Join(out, "\n"), "\n") + "\n"
}

// enclosingLevel is the level of the last Markdown heading in text,
// outside code fences (1 for "# ..."); 1 when there is none.
func enclosingLevel(text string) int {
	level, fenced := 1, false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(l, "#") {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "#"))
		if n <= 6 && (len(l) == n || l[n] == ' ') {
			level = n
		}
	}
	return level
}

// pageLinks points results.md's links to the study folder's files at the
// page: the plot, copied beside the page; results.csv, named.
func pageLinks(md, studyDir, page string) (string, error) {
	name := filepath.Base(studyDir)
	plot := strings.TrimSuffix(filepath.Base(page), filepath.Ext(page)) + "-" + name + ".png"
	oldImage := "](" + StudyPlotFile + ")"
	if b, err := os.ReadFile(filepath.Join(studyDir, StudyPlotFile)); err == nil {
		if err := writeFile(filepath.Join(filepath.Dir(page), plot), func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return "", err
		}
		md = strings.Replace(md, oldImage, "]("+plot+")", 1)
	} else if errors.Is(err, os.ErrNotExist) {
		md = strings.Replace(md, "\n![held-out pooled Dice per run]("+StudyPlotFile+")\n", "", 1)
	} else {
		return "", fmt.Errorf("study: %w", err)
	}
	return strings.Replace(md, "One row per run: "+CSVFile+".", "One row per run: "+CSVFile+" in the study folder "+name+".", 1), nil
}
