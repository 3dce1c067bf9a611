//go:build !linux

package posix

import (
	"io"
	"io/fs"
	"os"
)

// eachEntry calls fn with the name and type of every entry of the
// directory dir. name is valid only during the call. fn's error stops the
// walk and is returned.
func eachEntry(dir *os.Root, fn func(name []byte, typ fs.FileMode) error) error {
	f, err := dir.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		des, err := f.ReadDir(readBatch)
		for _, de := range des {
			if err := fn([]byte(de.Name()), de.Type()); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
