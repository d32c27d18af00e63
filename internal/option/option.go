package option

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an invalid option: the JSON path that names it in a
// configuration file and what is wrong with its value. It reads
// "dskd: config: batch_size -2: must be >= 1".
type Error struct {
	Prefix string // whose configuration: "dskd: config", "optim", "losses"
	Path   string // the option's JSON path in it: "batch_size", "ddl.grid"
	Detail string // the value and the rule: "-2: must be >= 1"
}

func (e *Error) Error() string { return e.Prefix + ": " + e.Path + " " + e.Detail }

// Errorf is an *Error for the option at path; format and a give the value
// and the rule it breaks.
func Errorf(prefix, path, format string, a ...any) error {
	return &Error{Prefix: prefix, Path: path, Detail: fmt.Sprintf(format, a...)}
}

// Under reports err, from a configuration nested at parent (optim.Config
// under "optimizer"), as an error of the enclosing one: an *Error's path
// gets parent in front and its prefix becomes prefix ("optim: name ..."
// becomes "dskd: config: optimizer.name ..."); any other error is wrapped
// as "prefix: parent: err".
func Under(err error, prefix, parent string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return &Error{Prefix: prefix, Path: parent + "." + e.Path, Detail: e.Detail}
	}
	return fmt.Errorf("%s: %s: %w", prefix, parent, err)
}

// OneOf checks that the enum option at path holds one of allowed (nil if
// it does); the error lists them: `teacher "oracle": want "previous-epoch"
// or "ema"`.
func OneOf[T ~string](prefix, path string, v T, allowed ...T) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return Errorf(prefix, path, "%q: want %s", string(v), List(allowed...))
}

// List renders values as `"a", "b" or "c"`.
func List[T ~string](values ...T) string {
	var b strings.Builder
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", string(v))
	}
	return b.String()
}

// Default sets *v to d when *v is its type's zero value: how a
// configuration's zero value comes to mean "the default".
func Default[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}
