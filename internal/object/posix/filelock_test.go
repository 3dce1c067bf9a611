package posix_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

// TestConditionalPut_TwoBackends checks that If-None-Match: * holds across
// two Backends on one root, as across two processes: their in-process
// locks are separate, so only the stripes' lock files order them.
func TestConditionalPut_TwoBackends(t *testing.T) {
	root := t.TempDir()
	a := openBackend(t, root, posix.Options{})
	b := openBackend(t, root, posix.Options{})
	if err := a.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		key := fmt.Sprintf("race-%d", round)
		const writers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range writers {
			be := a
			if i%2 == 1 {
				be = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := fmt.Sprintf("writer %d", i)
				_, err := be.PutObject(bg, "bkt", key, strings.NewReader(data), object.PutOptions{Size: int64(len(data)), IfNoneMatch: "*"})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, object.ErrPreconditionFailed):
					t.Errorf("writer %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d writers won, want exactly 1", round, won)
		}
	}
}
