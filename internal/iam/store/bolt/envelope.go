package bolt

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// envelopeHeader is the size of a record envelope without its value.
const envelopeHeader = 8 + 8 + 4

// zeroUnix is the Unix second of the zero time.Time.
var zeroUnix = time.Time{}.Unix()

// envelope is the on-disk form of a record (format 1); see the package
// comment for the byte layout.
type envelope struct {
	rev     uint64
	expires time.Time
	value   []byte
}

// encode returns the envelope's bytes, which the caller owns.
func (e envelope) encode() []byte {
	buf := make([]byte, envelopeHeader, envelopeHeader+len(e.value))
	binary.BigEndian.PutUint64(buf[0:8], e.rev)
	binary.BigEndian.PutUint64(buf[8:16], uint64(e.expires.Unix()))
	binary.BigEndian.PutUint32(buf[16:20], uint32(e.expires.Nanosecond()))
	return append(buf, e.value...)
}

// decodeEnvelope parses data, which may live in the bbolt mmap: the value
// is copied out.
func decodeEnvelope(data []byte) (envelope, error) {
	if len(data) < envelopeHeader {
		return envelope{}, fmt.Errorf("record envelope of %d bytes, want at least %d", len(data), envelopeHeader)
	}
	sec := int64(binary.BigEndian.Uint64(data[8:16]))
	nsec := binary.BigEndian.Uint32(data[16:20])
	if nsec > 999_999_999 {
		return envelope{}, fmt.Errorf("record envelope with %d nanoseconds", nsec)
	}
	e := envelope{
		rev:   binary.BigEndian.Uint64(data[0:8]),
		value: append([]byte{}, data[envelopeHeader:]...),
	}
	if sec != zeroUnix || nsec != 0 {
		e.expires = time.Unix(sec, int64(nsec)).UTC()
	}
	return e, nil
}

// record converts a stored envelope to a store.Record.
func (e envelope) record(kind store.Kind, name string) store.Record {
	return store.Record{Kind: kind, Name: name, Value: e.value, Expires: e.expires, Revision: int64(e.rev)}
}
