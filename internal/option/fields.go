package option

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// UnknownFieldError is a key of a JSON configuration that names no
// option: a typo must not fall back to a default without a word.
type UnknownFieldError struct {
	Path  string   // the key's dotted path: "model.bsae", "sets[0].pth"
	Known []string // the keys its object may hold
}

func (e *UnknownFieldError) Error() string {
	msg := fmt.Sprintf("unknown field %q", e.Path)
	key := e.Path[strings.LastIndexAny(e.Path, ".]")+1:]
	if s := closest(key, e.Known); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(e.Known) > 0 && len(e.Known) <= 12 {
		return msg + " (known: " + strings.Join(e.Known, ", ") + ")"
	}
	return msg
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// CheckFields returns an *UnknownFieldError for the first key of the JSON
// document b, in document order and at any depth, that no field of t (a
// struct type or a pointer to one) would decode, matching keys the way
// encoding/json does (exactly, else case-insensitively). A nested type
// with its own UnmarshalJSON is asked by decoding the key's value into it:
// an *UnknownFieldError it returns is reported under the key's path.
// Anything that is not an unknown key (malformed JSON, a wrong type) is
// left to the decoder: CheckFields returns nil for it.
func CheckFields(b []byte, t reflect.Type) error {
	return walk(b, t, "", true)
}

func walk(b []byte, t reflect.Type, path string, root bool) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !root && reflect.PointerTo(t).Implements(unmarshaler) {
		if firstByte(b) != '{' {
			return nil
		}
		v := reflect.New(t)
		var u *UnknownFieldError
		if errors.As(json.Unmarshal(b, v.Interface()), &u) {
			return &UnknownFieldError{Path: path + "." + u.Path, Known: u.Known}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		keys, values, ok := objectEntries(b)
		if !ok {
			return nil
		}
		names, types := fields(t)
		for i, k := range keys {
			ft, ok := types[k]
			if !ok {
				for _, n := range names {
					if strings.EqualFold(n, k) {
						ft, ok = types[n], true
						break
					}
				}
			}
			p := strings.TrimPrefix(path+"."+k, ".")
			if !ok {
				return &UnknownFieldError{Path: p, Known: names}
			}
			if err := walk(values[i], ft, p, false); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var elems []json.RawMessage
		if firstByte(b) != '[' || json.Unmarshal(b, &elems) != nil {
			return nil
		}
		for i, e := range elems {
			if err := walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), false); err != nil {
				return err
			}
		}
	}
	return nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// objectEntries splits a JSON object into its keys and values, in order.
func objectEntries(b []byte) (keys []string, values []json.RawMessage, ok bool) {
	if firstByte(b) != '{' {
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		keys, values = append(keys, k), append(values, v)
	}
	return keys, values, true
}

// fields lists the JSON names of t's fields in order, with their types;
// the fields of an embedded struct without a name count as t's own, after
// t's (encoding/json's rule for a name both have).
func fields(t reflect.Type) ([]string, map[string]reflect.Type) {
	var names []string
	types := map[string]reflect.Type{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		types[name] = f.Type
	}
	for _, et := range embedded {
		en, et := fields(et)
		for _, n := range en {
			if _, dup := types[n]; !dup {
				names = append(names, n)
				types[n] = et[n]
			}
		}
	}
	return names, types
}

// closest is the known key a typo most likely meant: within two edits
// (one for keys of three or four letters, none for shorter ones),
// ignoring case, '-' and '_'.
func closest(key string, known []string) string {
	norm := func(s string) string { return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s)) }
	k := norm(key)
	best, bestD := "", 3
	switch {
	case len(k) < 3:
		return ""
	case len(k) <= 4:
		bestD = 2
	}
	for _, n := range known {
		if d := distance(k, norm(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the optimal-string-alignment edit distance (insertions,
// deletions, substitutions and swaps of neighbours).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// TrimField drops embedded, the name of a struct a decoding embeds (as an
// UnmarshalJSON method embeds its type without the method), from the
// field path of a *json.UnmarshalTypeError, so that the path is the
// option's JSON path; an enclosing decoding puts its own path in front.
// It returns err.
func TrimField(err error, embedded string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		te.Field = strings.TrimPrefix(strings.TrimPrefix(te.Field, embedded), ".")
	}
	return err
}

// DecodeError renders a *json.UnmarshalTypeError from decoding a
// configuration as "epochs: want an integer, got a JSON string", naming
// the option by its JSON path; other errors come back as they are.
func DecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return err
	}
	return fmt.Errorf("%s: want %s, got a JSON %s", te.Field, jsonKind(te.Type), te.Value)
}

// jsonKind describes the JSON values t decodes.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	}
	return t.String()
}
