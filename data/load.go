package data

// LoadSample decodes a sample's image and (if labelled) binarised mask and
// checks that their sizes match. mask is nil for unlabelled samples.
func LoadSample(s Sample) (img, mask *Image, err error) {
	img, err = LoadImage(s.ImagePath)
	if err != nil {
		return nil, nil, err
	}
	if !s.Labelled() {
		return img, nil, nil
	}
	mask, err = LoadMask(s.MaskPath)
	if err != nil {
		return nil, nil, err
	}
	if mask.W != img.W || mask.H != img.H {
		return nil, nil, errorf("sample %s: image %s is %s but mask %s is %s", s.Name, s.ImagePath, img.Size(), s.MaskPath, mask.Size())
	}
	return img, mask, nil
}
