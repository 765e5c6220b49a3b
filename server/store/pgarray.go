package store

import (
	"encoding/binary"
	"time"
)

// PostgreSQL's binary array format, for the click batch's parameters. With
// lib/pq's binary_parameters (see withBinaryParameters), a []byte argument
// goes to the server as is, in binary: no quoting and escaping of every
// element on our side, no array_in parsing on the server's. The statement
// gives the parameter its type ($1::text[]); array_recv checks that the
// element type here matches it.

// Element type OIDs (pg_type).
const (
	oidBytea       = 17
	oidInt4        = 23
	oidText        = 25
	oidTimestamptz = 1184
)

// pgEpochMicros is 2000-01-01 00:00 UTC in Unix microseconds: PostgreSQL's
// timestamps count microseconds from there.
const pgEpochMicros = 946684800_000000

// arrayHeader starts a one-dimensional array of n elements of type oid,
// without NULLs; each element follows as its length and bytes.
func arrayHeader(size int, oid uint32, n int) []byte {
	b := make([]byte, 0, 20+size)
	b = binary.BigEndian.AppendUint32(b, 1) // dimensions
	b = binary.BigEndian.AppendUint32(b, 0) // no NULLs
	b = binary.BigEndian.AppendUint32(b, oid)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	return binary.BigEndian.AppendUint32(b, 1) // lower bound
}

// textArray encodes values for a text[] parameter.
func textArray[T any](rows []T, field func(*T) string) []byte {
	return varlenArray(rows, oidText, field)
}

// byteaArray encodes values for a bytea[] parameter.
func byteaArray[T any](rows []T, field func(*T) []byte) []byte {
	return varlenArray(rows, oidBytea, field)
}

// varlenArray encodes variable-length values, each as its length and its
// bytes (text travels as its UTF-8 bytes).
func varlenArray[T any, V string | []byte](rows []T, oid uint32, field func(*T) V) []byte {
	size := 0
	for i := range rows {
		size += 4 + len(field(&rows[i]))
	}
	b := arrayHeader(size, oid, len(rows))
	for i := range rows {
		v := field(&rows[i])
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

// timestamptzArray encodes values for a timestamptz[] parameter, rounded to
// the microsecond (PostgreSQL's precision) as the text form would be.
func timestamptzArray[T any](rows []T, field func(*T) time.Time) []byte {
	b := arrayHeader(12*len(rows), oidTimestamptz, len(rows))
	for i := range rows {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(field(&rows[i]).Round(time.Microsecond).UnixMicro()-pgEpochMicros))
	}
	return b
}

// int4Array encodes values for an int[] parameter.
func int4Array[T any](rows []T, field func(*T) int32) []byte {
	b := arrayHeader(8*len(rows), oidInt4, len(rows))
	for i := range rows {
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(field(&rows[i])))
	}
	return b
}
