package cmdline

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// HelpOutput receives the usage printed for -h; errors go to the flag
// set's own output (stderr by default).
var HelpOutput io.Writer = os.Stdout

// Usage sets fs's usage text: the synopsis lines, then every flag.
func Usage(fs *flag.FlagSet, synopsis string) {
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), strings.TrimRight(synopsis, "\n"))
		fmt.Fprintln(fs.Output(), "flags:")
		fs.PrintDefaults()
	}
}

// Parse parses args with fs and returns the positional arguments. Flags
// may follow positional arguments; everything after "--" is positional.
// On -h or -help the usage goes to HelpOutput and the error is
// flag.ErrHelp; on a bad flag the message and usage go to fs.Output().
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	defer fs.SetOutput(out)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				_, _ = HelpOutput.Write(buf.Bytes())
				return nil, err
			}
			_, _ = out.Write(buf.Bytes())
			return nil, flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// ParseNoArgs is Parse for commands that take flags only: a positional
// argument is an error naming it.
func ParseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (%s takes flags only; -h lists them)", rest[0], fs.Name())
	}
	return nil
}

// Exit is an error that sets the exit status itself: Run prints Message
// (when not empty) as it is, on a line of its own, and returns Code.
type Exit struct {
	Code    int
	Message string
}

func (e *Exit) Error() string { return e.Message }

// Run calls command with args and returns the exit status: 0 on success
// or flag.ErrHelp, 2 for a bad flag (already reported by the flag set),
// an *Exit's own code, and 1 with "prog: message" on stderr for other
// errors.
func Run(prog string, args []string, command func([]string) error, stderr io.Writer) int {
	err := command(args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case isFlagError(err):
		return 2
	}
	var exit *Exit
	if errors.As(err, &exit) {
		if exit.Message != "" {
			fmt.Fprintln(stderr, exit.Message)
		}
		return exit.Code
	}
	fmt.Fprintln(stderr, Message(prog, err))
	return 1
}

// Message is "prog: err" without a second "prog: " when err already
// starts with it (library errors carry their package name, and the dskd
// package shares the command's).
func Message(prog string, err error) string {
	return prog + ": " + strings.TrimPrefix(err.Error(), prog+": ")
}

// flagError marks errors that the flag package has already printed.
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}
