package probe

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"hash"
)

// headMax is keepalived's receive buffer (MAX_BUFFER_LENGTH less its
// NUL): a head not ended within it fills the buffer, the next read
// returns 0 as at EOF, and the check fails with no data received.
const headMax = 4095

// response reads an HTTP response as it arrives, as keepalived 2.2.7's
// check_http.c and lib/html.c do: the head ends at the first blank line
// (CRLF CRLF), the status is the 3 digits after the status line's first
// space, Content-Length bounds the body when present, and the body is
// taken raw: chunked transfer coding is not decoded, so the digest
// covers the chunk framing. Unlike keepalived it stops at Content-Length
// instead of waiting for EOF (the bytes digested are the same). It does
// no I/O; one value serves attempt after attempt without allocating.
type response struct {
	wantSum bool
	keep    int // body bytes kept (for a regex)

	head     []byte // the head as it arrives
	headDone bool
	status   int
	clen     int64 // Content-Length; -1: none, read to EOF
	n        int64 // body bytes taken (at most clen)
	body     []byte
	sum      hash.Hash
	raw      [md5.Size]byte
	hex      [2 * md5.Size]byte
}

// reset prepares for a new response: wantSum computes the body's MD5,
// keep bounds how much of the body is kept.
func (r *response) reset(wantSum bool, keep int) {
	r.wantSum, r.keep = wantSum, keep
	r.head, r.body = r.head[:0], r.body[:0]
	r.headDone, r.status, r.clen, r.n = false, 0, -1, 0
	if wantSum {
		if r.sum == nil {
			r.sum = md5.New()
		}
		r.sum.Reset()
	}
}

var blankLine = []byte("\r\n\r\n")

// Data takes the next bytes received and reports whether the response
// is complete: body up to Content-Length, or a head too long.
func (r *response) Data(b []byte) bool {
	if r.headDone {
		return r.bodyData(b)
	}
	from := max(0, len(r.head)-3) // the blank line may straddle reads
	take := min(len(b), headMax-len(r.head))
	r.head = append(r.head, b[:take]...)
	i := bytes.Index(r.head[from:], blankLine)
	if i < 0 {
		return len(r.head) >= headMax
	}
	end := from + i + len(blankLine)
	r.headDone = true
	r.status = statusCode(r.head[:end])
	r.clen = contentLength(r.head[:end])
	if r.bodyData(r.head[end:]) {
		return true
	}
	return r.bodyData(b[take:])
}

func (r *response) bodyData(b []byte) bool {
	if r.clen >= 0 {
		b = b[:min(int64(len(b)), r.clen-r.n)]
	}
	r.n += int64(len(b))
	if r.wantSum {
		r.sum.Write(b)
	}
	if k := r.keep - len(r.body); k > 0 {
		r.body = append(r.body, b[:min(k, len(b))]...)
	}
	return r.clen >= 0 && r.n >= r.clen
}

// sumHex is the body's MD5 in lower-case hex, valid until the next
// reset; it needs wantSum.
func (r *response) sumHex() []byte {
	hex.Encode(r.hex[:], r.sum.Sum(r.raw[:0]))
	return r.hex[:]
}

// statusCode is lib/html.c's extract_status_code: after the first
// space of the status line, exactly 3 digits followed by a space (a
// status line without a reason phrase, "HTTP/1.1 200\r\n", gives 0).
func statusCode(head []byte) int {
	i := bytes.IndexAny(head, " \r")
	if i < 0 || head[i] != ' ' {
		return 0
	}
	s := head[i+1:]
	if len(s) <= 3 || s[3] != ' ' {
		return 0
	}
	code := 0
	for _, c := range s[:3] {
		if c < '0' || c > '9' {
			return 0
		}
		code = code*10 + int(c-'0')
	}
	return code
}

// contentLength is lib/html.c's extract_content_length, so digests
// match keepalived's genhash: the first "Content-Length:" (case
// sensitive, anywhere in the head, as strstr), then strtoul's number,
// which must end the line; -1 when there is none.
func contentLength(head []byte) int64 {
	i := bytes.Index(head, []byte("Content-Length:"))
	if i < 0 {
		return -1
	}
	v := head[i+len("Content-Length:"):]
	j := 0
	for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
		j++
	}
	if j < len(v) && v[j] == '+' {
		j++
	}
	n, digits := int64(0), 0
	for ; j < len(v) && v[j] >= '0' && v[j] <= '9'; j++ {
		if n > (1<<62)/10 {
			return -1 // strtoul's ULONG_MAX: no bound
		}
		n = n*10 + int64(v[j]-'0')
		digits++
	}
	if digits == 0 {
		// strtoul parsed nothing: 0 if the value is empty, as its end
		// pointer is then the line's end
		if len(v) > 0 && (v[0] == '\r' || v[0] == '\n') {
			return 0
		}
		return -1
	}
	if j < len(v) && v[j] != '\r' && v[j] != '\n' {
		return -1
	}
	return n
}
