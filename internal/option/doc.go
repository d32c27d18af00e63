// Package option holds what the configurations of dskd's packages
// (dskd.Config, optim.Config, losses.Config, data.AugmentConfig, the study
// spec) share: errors that name an option by its JSON path, the check that
// turns an unknown JSON field into an error naming its path, and Switch,
// a setting that is on unless switched off.
//
// Layer: foundation (pure Go). It imports only the standard library and
// other foundation packages, never libtorch.
package option
