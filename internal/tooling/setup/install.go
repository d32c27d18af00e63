package setup

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// IsDebianLike reads /etc/os-release (under fsRoot) for Debian or Ubuntu.
func IsDebianLike(fsRoot string) bool {
	f, err := os.Open(fsRoot + "/etc/os-release")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || (k != "ID" && k != "ID_LIKE") {
			continue
		}
		for _, id := range strings.Fields(strings.Trim(v, `"`)) {
			if id == "debian" || id == "ubuntu" {
				return true
			}
		}
	}
	return false
}

// AptInstall installs Debian packages non-interactively, after apt-get update.
func AptInstall(logf Logf, pkgs ...string) error {
	logf("installing %s with apt-get (this takes a few minutes once)", strings.Join(pkgs, " "))
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{{"update", "-q"}, append([]string{"install", "-y", "-q", "--no-install-recommends"}, pkgs...)} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("setup: apt-get %s: %w", strings.Join(args, " "), err)
		}
	}
	return nil
}
