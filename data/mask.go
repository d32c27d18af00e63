package data

import (
	"math"
	"sync"

	"github.com/rs/zerolog"
)

// MaskThreshold is the binarisation threshold as a fraction of the format's
// maximum value: a pixel is foreground (1) iff value >= MaskThreshold*MaxVal.
const MaskThreshold = 0.5

// BinarizeMask turns a decoded mask into exact 0/1 values. Rules, in order:
//
//   - all-zero mask: valid (an image without vessels); returned as all 0, logged at debug.
//   - 0/1 encoding: the largest raw value is 1 while MaxVal > 1 (e.g. an 8-bit
//     PNG saved with values 0 and 1): every non-zero pixel is foreground; logged at info.
//   - otherwise pixels >= MaskThreshold*MaxVal are foreground. If values other
//     than 0 and MaxVal occur (anti-aliased or resampled masks) a warning with
//     their count is logged.
//   - a mask with non-zero pixels that are all below the threshold (and not
//     0/1 encoded, e.g. 0/255 stored in a 16-bit file) is an error: it would
//     otherwise silently become an empty mask.
//
// name is used in messages only. Messages go to the package logger (see
// SetLogger), each at most once per file and kind in the process (the
// same mask is decoded every epoch).
func BinarizeMask(name string, raw *Raw) (*Image, error) { return binarizeMask(name, raw, log()) }

// noted remembers the (file, kind) pairs already logged.
var noted sync.Map

// once returns l's event at level for the first (name, kind) l logs, nil
// after (and nil, without marking it, when l would drop the event: a
// silent first decode must not swallow the message a later logger shows).
func once(l *zerolog.Logger, level zerolog.Level, name, kind string) *zerolog.Event {
	if l.GetLevel() > level || zerolog.GlobalLevel() > level {
		return nil
	}
	if _, seen := noted.LoadOrStore(kind+"\x00"+name, true); seen {
		return nil
	}
	return l.WithLevel(level)
}

func binarizeMask(name string, raw *Raw, l *zerolog.Logger) (*Image, error) {
	img := raw.Image
	maxRaw, intermediate := 0, 0
	for _, v := range img.Pix {
		r := int(math.Round(float64(v) * float64(raw.MaxVal)))
		if r > maxRaw {
			maxRaw = r
		}
		if r != 0 && r != raw.MaxVal {
			intermediate++
		}
	}
	out := NewImage(img.W, img.H)
	switch {
	case maxRaw == 0:
		once(l, zerolog.DebugLevel, name, "empty").Str("file", name).Msg("data: mask is all zero (no foreground)")
		return out, nil
	case maxRaw == 1 && raw.MaxVal > 1:
		once(l, zerolog.InfoLevel, name, "01").Str("file", name).Int("maxval", raw.MaxVal).
			Msg("data: mask uses 0/1 encoding; treating 1 as foreground")
		for i, v := range img.Pix {
			if v > 0 {
				out.Pix[i] = 1
			}
		}
		return out, nil
	}
	fg := 0
	for i, v := range img.Pix {
		// Compare in raw units to avoid float rounding at the threshold.
		if math.Round(float64(v)*float64(raw.MaxVal)) >= MaskThreshold*float64(raw.MaxVal) {
			out.Pix[i] = 1
			fg++
		}
	}
	if fg == 0 {
		return nil, errorf("%s: mask has non-zero pixels (max %d) but none reach the threshold %.2f*%d; is it saved with the wrong bit depth?",
			name, maxRaw, MaskThreshold, raw.MaxVal)
	}
	if intermediate > 0 {
		once(l, zerolog.WarnLevel, name, "nonbinary").Str("file", name).Int("pixels", intermediate).Int("maxval", raw.MaxVal).
			Msgf("data: mask is not binary (%d pixels strictly between 0 and %d); thresholded at %.2f of max", intermediate, raw.MaxVal, MaskThreshold)
	}
	return out, nil
}
