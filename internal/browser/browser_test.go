package browser

import (
	"context"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The detector itself: a page that logs and throws is caught, its DOM
// reflects the script, and a blank page reads as blank.
func TestRenderSeesScriptsConsoleAndPixels(t *testing.T) {
	bin := ForTest(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "p.html")
	require.NoError(t, os.WriteFile(page, []byte(`<!DOCTYPE html><html><body style="background:#fff">
<h1 style="color:#c00">Hello</h1><p id="x">static</p>
<script>document.getElementById("x").textContent = "from script"; console.error("boom"); undefinedFunction();</script>
</body></html>`), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := Render(ctx, bin, page, 400, 300)
	require.NoError(t, err)
	assert.Contains(t, p.DOM, `<p id="x">from script</p>`)
	require.Len(t, p.Console, 2, "console lines: %q", p.Console)
	assert.True(t, strings.HasPrefix(p.Console[0], `"boom"`), p.Console[0])
	assert.Contains(t, p.Console[1], "Uncaught ReferenceError: undefinedFunction is not defined")
	assert.Equal(t, image.Rect(0, 0, 400, 300), p.Screenshot.Bounds())
	colours, ink := Ink(p.Screenshot)
	assert.Greater(t, colours, 2)
	assert.Greater(t, ink, 0.001)

	blank := filepath.Join(dir, "blank.html")
	require.NoError(t, os.WriteFile(blank, []byte(`<!DOCTYPE html><html><body style="background:#fff"></body></html>`), 0o644))
	p, err = Render(ctx, bin, blank, 200, 100)
	require.NoError(t, err)
	assert.Empty(t, p.Console)
	colours, ink = Ink(p.Screenshot)
	assert.Equal(t, 1, colours)
	assert.Zero(t, ink)

	_, err = Render(ctx, bin, filepath.Join(dir, "missing.html"), 200, 100)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestInk(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	img.Set(2, 2, color.RGBA{0, 0, 255, 255})
	colours, ink := Ink(img)
	assert.Equal(t, 3, colours)
	assert.InDelta(t, 0.02, ink, 1e-12)
}
