package browser

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Find returns the path of a Chromium binary on PATH ("" when none).
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Page is what Chromium made of a file.
type Page struct {
	DOM        string      // the DOM after load, serialised (--dump-dom)
	Screenshot image.Image // the viewport (--screenshot)
	PNG        []byte      // the screenshot as Chromium wrote it
	Console    []string    // console messages and uncaught errors, as logged
}

// flags keep Chromium off the network and away from the user's profile.
var flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
	"--enable-logging=stderr", "--v=0",
}

// consoleLine matches Chromium's log lines for console messages, e.g.
// [1:1:1128/082059.843469:INFO:CONSOLE:1] "Uncaught ReferenceError: f is not defined", source: file:///x.html (1)
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]\d*\)?\]\s*(.*)$`)

// Render loads file (a path) in Chromium twice, each with a new profile:
// once to dump the DOM, once to take a width×height screenshot.
func Render(ctx context.Context, bin, file string, width, height int) (*Page, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	url := "file://" + abs
	p := &Page{}
	dom, logs, err := run(ctx, bin, "--dump-dom", url)
	if err != nil {
		return nil, err
	}
	p.DOM = dom
	p.Console = consoleMessages(logs)

	dir, err := os.MkdirTemp("", "dskd-browser-shot-")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	defer os.RemoveAll(dir)
	shot := filepath.Join(dir, "page.png")
	if _, _, err := run(ctx, bin, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", width, height), url); err != nil {
		return nil, err
	}
	if p.PNG, err = os.ReadFile(shot); err != nil {
		return nil, fmt.Errorf("browser: no screenshot: %w", err)
	}
	if p.Screenshot, err = png.Decode(bytes.NewReader(p.PNG)); err != nil {
		return nil, fmt.Errorf("browser: screenshot: %w", err)
	}
	return p, nil
}

// run starts Chromium with a fresh profile folder and returns its stdout
// and stderr.
func run(ctx context.Context, bin string, args ...string) (string, string, error) {
	profile, err := os.MkdirTemp("", "dskd-browser-profile-")
	if err != nil {
		return "", "", fmt.Errorf("browser: %w", err)
	}
	defer os.RemoveAll(profile)
	all := append(append(append([]string{}, flags...), "--user-data-dir="+profile), args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("browser: %s %s: %w\n%s", bin, strings.Join(args, " "), err, tail(errOut.String(), 2000))
	}
	return out.String(), errOut.String(), nil
}

func consoleMessages(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if m := consoleLine.FindStringSubmatch(l); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Ink measures how much a screenshot shows: the number of distinct
// colours and the fraction of pixels that are not the most common colour
// (the background). A blank page has one colour and no ink.
func Ink(img image.Image) (colours int, fraction float64) {
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	total := b.Dx() * b.Dy()
	if total == 0 {
		return 0, 0
	}
	return len(counts), float64(total-most) / float64(total)
}
