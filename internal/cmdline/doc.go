// Package cmdline is the flag handling every command of the module shares
// (cmd/dskd, cmd/dskd-setup, cmd/dskd-synth, the examples). It is pure Go,
// so that dskd-setup, which prepares gotch, builds without it.
//
//   - Parse accepts flags after positional arguments (`dskd predict a.png
//     --tta` sets --tta; "--" ends the flags), and on -h/-help prints the
//     usage to stdout (for `| less`) and returns flag.ErrHelp.
//   - Run turns a command's error into its exit status: 0 for -h, 1 with
//     "prog: message" on stderr otherwise, without repeating a "prog: "
//     prefix the message already has.
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package cmdline
