package option

import (
	"encoding/json"
	"fmt"
)

// Switch is a setting that is on unless switched off: its zero value is
// On, the default. In JSON it is the boolean of a "no_..." key, the form
// earlier versions wrote (and the study hashes were computed from): true
// when Off, left out (with omitempty) when On; false reads as On.
type Switch uint8

// The values of a Switch.
const (
	On  Switch = iota // the default
	Off               // switched off
)

// String is "on" or "off".
func (s Switch) String() string {
	switch s {
	case On:
		return "on"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Switch(%d)", uint8(s))
}

// Valid reports whether s is On or Off.
func (s Switch) Valid() bool { return s == On || s == Off }

// MarshalJSON writes the "no_..." boolean: true when Off.
func (s Switch) MarshalJSON() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("option: %s is neither on nor off", s)
	}
	return json.Marshal(s == Off)
}

// UnmarshalJSON reads the "no_..." boolean: true is Off, false On.
func (s *Switch) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var off bool
	if err := json.Unmarshal(b, &off); err != nil {
		return err // a *json.UnmarshalTypeError: the decoder adds the field's name
	}
	*s = On
	if off {
		*s = Off
	}
	return nil
}
