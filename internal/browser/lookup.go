package browser

import (
	"os"
	"testing"
)

// RequireEnv, set to 1 (CI does), turns a missing Chromium from a skipped
// browser check into a failed one.
const RequireEnv = "DSKD_REQUIRE_BROWSER"

// ForTest returns the Chromium binary for a browser check, or skips the
// test with the reason when none is installed (fails instead when
// RequireEnv is 1).
func ForTest(tb testing.TB) string {
	tb.Helper()
	if bin := Find(); bin != "" {
		return bin
	}
	const msg = "chromium is not installed (apt-get install -y chromium): the page is not checked in a browser"
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatal(msg + ", and " + RequireEnv + "=1 requires it")
	}
	tb.Skip(msg)
	return ""
}
