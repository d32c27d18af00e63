package data

import "github.com/rs/zerolog"

// LoadSample decodes a sample's image and (if labelled) binarised mask and
// checks that their sizes match. mask is nil for unlabelled samples.
// Messages (e.g. a non-binary mask) go to the package logger; an
// Iterator uses its IteratorConfig.Logger.
func LoadSample(s Sample) (img, mask *Image, err error) { return loadSample(s, log()) }

func loadSample(s Sample, l *zerolog.Logger) (img, mask *Image, err error) {
	img, err = LoadImage(s.ImagePath)
	if err != nil {
		return nil, nil, err
	}
	if !s.Labelled() {
		return img, nil, nil
	}
	mask, err = loadMask(s.MaskPath, l)
	if err != nil {
		return nil, nil, err
	}
	if mask.W != img.W || mask.H != img.H {
		return nil, nil, errorf("sample %s: image %s is %s but mask %s is %s", s.Name, s.ImagePath, img.Size(), s.MaskPath, mask.Size())
	}
	return img, mask, nil
}
