package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A get in one process reads the entry while a refresh in another writes it:
// the reader must see the old entry or the new one, never an empty or torn
// file (which it would take for a corrupt cache and sign in again). Readers
// go through Load, as the CLI does, and through a plain read of the file, as
// the Python client does, while a writer saves large entries back to back.
func TestSaveIsAtomicForConcurrentReaders(t *testing.T) {
	f := File{Dir: filepath.Join(t.TempDir(), "api")}
	const key = "ws0"
	// Two entries far larger than one write of the page cache, so that a
	// torn read would show.
	entries := []*Entry{
		{AccessToken: strings.Repeat("a", 300<<10), TokenType: "Bearer", ExpiresAt: time.Unix(2000000000, 0)},
		{AccessToken: strings.Repeat("b", 400<<10), TokenType: "Bearer", ExpiresAt: time.Unix(2000000001, 0), RefreshToken: "r"},
	}
	if err := f.Save(key, entries[0]); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Sprintf(format, args...):
		default:
		}
		stop()
	}
	reads := make([]int, 4)
	for r := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if r%2 == 0 {
					e, err := f.Load(key)
					switch {
					case err != nil:
						report("Load during a save: %v", err)
					case e.AccessToken != entries[0].AccessToken && e.AccessToken != entries[1].AccessToken:
						report("Load during a save: a token of %d bytes, neither entry", len(e.AccessToken))
					}
				} else {
					data, err := os.ReadFile(f.Path(key))
					if err != nil {
						report("reading the file during a save: %v", err)
						continue
					}
					e, err := Decode(data)
					switch {
					case err != nil:
						report("reading the file during a save: %d bytes: %v", len(data), err)
					case e.AccessToken != entries[0].AccessToken && e.AccessToken != entries[1].AccessToken:
						report("reading the file during a save: a token of %d bytes, neither entry", len(e.AccessToken))
					}
				}
				reads[r]++
			}
		}()
	}

	deadline := time.Now().Add(time.Second)
	saves := 0
	for ; ctx.Err() == nil && (saves < 10 || time.Now().Before(deadline)) && saves < 2000; saves++ {
		if err := f.Save(key, entries[(saves+1)%2]); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	t.Logf("%d saves, reads per reader %v", saves, reads)
	for r, n := range reads {
		if n == 0 && !t.Failed() {
			t.Errorf("reader %d never read: the test proved nothing", r)
		}
	}
}
