package study

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/option"
)

// Override sets one field of dskd.Config, given by its dotted JSON path (as in
// a config file: "model.base", "schedule.name", "augment.Rot90"), to each
// of Values in turn: every value makes its own arm of a study. A path that
// names no option of dskd.Config, or a value of the wrong type, is an
// error naming it.
type Override struct {
	Path   string            `json:"path"`
	Values []json.RawMessage `json:"values"`
}

// studyOwned are the fields a study sets itself: overriding them would
// silently lose the override.
var studyOwned = map[string]string{
	"preset": "presets", "loss.preset": "presets", "seed": "seeds", "out_dir": "the study folder",
	"threads": "the study's threads", "workers": "the study's threads",
}

// ParseOverride parses "path=v1,v2,...". Each value is JSON when it parses
// as JSON (16, 0.5, true, "x", [1,2], {"a":1}) and a string otherwise
// (cosine); commas inside brackets, braces or quotes do not split.
func ParseOverride(s string) (Override, error) {
	path, list, ok := strings.Cut(s, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" || strings.TrimSpace(list) == "" {
		return Override{}, fmt.Errorf("study: override %q: want path=value[,value...]", s)
	}
	o := Override{Path: path}
	for _, v := range splitTopLevel(list) {
		v = strings.TrimSpace(v)
		if v == "" {
			return Override{}, fmt.Errorf("study: override %q: empty value", s)
		}
		if !json.Valid([]byte(v)) {
			q, _ := json.Marshal(v)
			v = string(q)
		}
		o.Values = append(o.Values, json.RawMessage(v))
	}
	return o, o.validate()
}

func (o Override) validate() error {
	if o.Path == "" || len(o.Values) == 0 {
		return fmt.Errorf("study: override %q: needs a path and at least one value", o.Path)
	}
	if by, ok := studyOwned[strings.ToLower(o.Path)]; ok {
		return fmt.Errorf("study: override %q: set by the study (use %s)", o.Path, by)
	}
	seen := map[string]bool{}
	for _, v := range o.Values {
		if !json.Valid(v) {
			return fmt.Errorf("study: override %q: value %s is not JSON", o.Path, v)
		}
		k := compactJSON(v)
		if seen[k] {
			return fmt.Errorf("study: override %q: value %s given twice", o.Path, k)
		}
		seen[k] = true
		// The path and the value's type, on their own (the values of
		// options are checked on each run's whole configuration).
		if _, err := setJSON(dskd.Config{}, []setting{{o.Path, v}}); err != nil {
			return err
		}
	}
	return nil
}

// splitTopLevel splits s at commas outside brackets, braces and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start, quoted := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func compactJSON(v json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return string(v)
	}
	return b.String()
}

// valueLabel is a value as it appears in arm names: strings unquoted.
func valueLabel(v json.RawMessage) string {
	if string(bytes.TrimSpace(v)) == "null" { // a string would read it as ""
		return "null"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return compactJSON(v)
}

// setting is one path set to one value.
type setting struct {
	Path  string
	Value json.RawMessage
}

// applySettings returns c with each setting applied through c's JSON form;
// an unknown path or a value of the wrong type is an error naming it. A
// setting under "augment" when c has no Augment starts from the default
// augmentation (for c's crop size), not from "no augmentation". Setting
// crop_size sets the training crop whatever augment.crop_size c holds
// (see dskd.Config.CropSize).
func applySettings(c dskd.Config, settings []setting) (dskd.Config, error) {
	var aug, rest []setting
	crop := false
	for _, s := range settings {
		top, _, _ := strings.Cut(s.Path, ".")
		switch {
		case strings.EqualFold(top, "augment") && s.Path != top:
			aug = append(aug, s)
		case strings.EqualFold(s.Path, "crop_size"):
			crop = true
			fallthrough
		default:
			rest = append(rest, s)
		}
	}
	c, err := setJSON(c, rest)
	if err != nil {
		return c, err
	}
	if crop {
		c = c.WithCropSize(c.CropSize)
	}
	if len(aug) == 0 {
		return c, nil
	}
	if c.Augment == nil {
		d, err := c.WithDefaults()
		if err != nil {
			return c, err
		}
		c.Augment = d.Augment
	}
	return setJSON(c, aug)
}

func setJSON(c dskd.Config, settings []setting) (dskd.Config, error) {
	if len(settings) == 0 {
		return c, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("study: %w", err)
	}
	var tree map[string]any
	if err := decodeNumbers(b, &tree); err != nil {
		return c, fmt.Errorf("study: %w", err)
	}
	for _, s := range settings {
		var v any
		if err := decodeNumbers(s.Value, &v); err != nil {
			return c, fmt.Errorf("study: override %s=%s: %w", s.Path, s.Value, err)
		}
		if err := setPath(tree, strings.Split(s.Path, "."), v); err != nil {
			return c, fmt.Errorf("study: override %s: %w", s.Path, err)
		}
	}
	if b, err = json.Marshal(tree); err != nil {
		return c, fmt.Errorf("study: %w", err)
	}
	var out dskd.Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return c, fmt.Errorf("study: override %s: %w", settingList(settings), option.DecodeError(err))
	}
	return out, nil
}

// decodeNumbers decodes JSON keeping numbers as written (an int64 seed
// would lose digits as a float64).
func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// setPath sets tree[path...] = v, matching existing keys case-insensitively
// (as encoding/json does) and creating missing objects.
func setPath(tree map[string]any, path []string, v any) error {
	key := path[0]
	for k := range tree {
		if strings.EqualFold(k, key) {
			key = k
			break
		}
	}
	if len(path) == 1 {
		tree[key] = v
		return nil
	}
	next, ok := tree[key].(map[string]any)
	if !ok {
		if tree[key] != nil {
			return fmt.Errorf("%q is not an object", key)
		}
		next = map[string]any{}
		tree[key] = next
	}
	return setPath(next, path[1:], v)
}

func settingList(settings []setting) string {
	parts := make([]string, len(settings))
	for i, s := range settings {
		parts[i] = s.Path + "=" + compactJSON(s.Value)
	}
	return strings.Join(parts, ", ")
}
