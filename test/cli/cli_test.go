// Package cli runs the aws cli end-to-end script against a freshly built binary.
package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws cli not installed; .ci/run installs it")
		}
		t.Skip("aws cli not installed")
	}
	bin := filepath.Join(t.TempDir(), "sesame")
	build := exec.Command("go", "build", "-o", bin, "github.com/sesame-s3/sesame/cmd/sesame")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", "awscli.sh")
	cmd.Env = append(os.Environ(), "SESAME_BIN="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("awscli.sh: %v", err)
	}
}
