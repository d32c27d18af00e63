// Package browser renders a local HTML file in headless Chromium (Debian's
// chromium package) and reports what a person would get: the DOM after
// scripts ran, a screenshot, and every console message the page produced
// (script errors included). It drives the chromium command line only, no
// DevTools protocol, and turns off everything that reaches the network.
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package browser
