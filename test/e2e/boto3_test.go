package e2e

import (
	"os"
	"os/exec"
	"testing"
)

// runBoto3 runs a Python script of test/boto3 against an in-process
// server, with no shared AWS configuration of the machine. It is skipped
// when python3 or boto3 is missing, except under CI, where that fails.
func runBoto3(t *testing.T, script string) {
	t.Helper()
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 with boto3 is required under CI: %v", err)
		}
		t.Skipf("python3 with boto3 is not installed (%v): pip install boto3 to run this test", err)
	}
	ep := startServer(t, nil)
	cmd := exec.Command("python3", "../boto3/"+script)
	cmd.Env = append(os.Environ(),
		"SESAME_ENDPOINT="+ep.URL, "SESAME_ACCESS_KEY="+ep.AccessKey,
		"SESAME_SECRET_KEY="+ep.SecretKey, "SESAME_REGION="+ep.Region,
		// No shared config or credentials of the machine, no CRT transfer.
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true", "BOTO_DISABLE_CRT=true",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
}

// TestHonest_Boto3 runs test/boto3/test_honest.py: the refusals as a new
// user of boto3 meets them.
func TestHonest_Boto3(t *testing.T) { runBoto3(t, "test_honest.py") }

// TestRoles_Boto3 runs test/boto3/test_roles.py: IAM roles through boto3.
func TestRoles_Boto3(t *testing.T) {
	t.Parallel()
	runBoto3(t, "test_roles.py")
}
