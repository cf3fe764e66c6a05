package probe

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"testing"
)

// model is what the response reader must make of a whole input: the
// head ends at the first CRLF CRLF within headMax bytes, and the body is
// the raw bytes after it, cut at Content-Length.
func model(in []byte) (headDone, complete bool, body []byte) {
	i := bytes.Index(in[:min(len(in), headMax)], blankLine)
	if i < 0 {
		return false, len(in) >= headMax, nil
	}
	head, body := in[:i+4], in[i+4:]
	if cl := contentLength(head); cl >= 0 && int64(len(body)) >= cl {
		return true, true, body[:cl]
	}
	return true, false, body
}

func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nx",
		"HTTP/1.0 200 OK\r\nContent-Length:  7 \r\n\r\nbody",
		"SSH-2.0-OpenSSH\r\n",
		"\r\n\r\n",
	} {
		f.Add([]byte(s), uint16(3), uint16(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		headDone, complete, body := model(in)
		// fed whole, and in three reads split anywhere: same result
		var whole, split response
		whole.reset(true, 1<<20)
		split.reset(true, 16) // regex keep shorter than the body
		gotWhole := whole.Data(in)
		a := min(int(cut1), len(in))
		b := min(a+int(cut2), len(in))
		gotSplit := split.Data(in[:a]) || split.Data(in[a:b]) || split.Data(in[b:])
		if gotWhole != complete || gotSplit != complete {
			t.Fatalf("complete whole %v split %v, want %v", gotWhole, gotSplit, complete)
		}
		want := md5.Sum(body)
		for _, r := range []*response{&whole, &split} {
			if r.headDone != headDone || r.n != int64(len(body)) {
				t.Fatalf("headDone %v n %d, want %v %d", r.headDone, r.n, headDone, len(body))
			}
			if got := string(r.sumHex()); got != hex.EncodeToString(want[:]) {
				t.Fatalf("digest %s, want md5 of %q", got, body)
			}
			if !bytes.Equal(r.body, body[:min(len(body), r.keep)]) {
				t.Fatalf("kept %q of body %q", r.body, body)
			}
			if !headDone && r.status != 0 || r.status < 0 || r.status > 999 {
				t.Fatalf("status %d", r.status)
			}
		}
		if whole.status != split.status || whole.clen != split.clen {
			t.Fatalf("status/clen %d/%d whole, %d/%d split", whole.status, whole.clen, split.status, split.clen)
		}
		// reused for the next response, the reader starts clean
		whole.reset(false, 0)
		if whole.Data([]byte("HTTP/1.0 503 x\r\n\r\n")); whole.status != 503 || whole.n != 0 {
			t.Fatalf("after reset: status %d n %d", whole.status, whole.n)
		}
	})
}

func TestStatusAndLength(t *testing.T) {
	for _, c := range []struct {
		head   string
		status int
		clen   int64
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", 200, 12},
		{"HTTP/1.0 503 Service Unavailable\r\n\r\n", 503, -1},
		{"HTTP/1.1 200 \r\nContent-Length:\t3\r\n\r\n", 200, 3},
		{"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n", 200, -1}, // strstr is case sensitive
		{"HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n", 200, 3},
		{"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", 200, -1},
		{"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 200, 0}, // strtoul's end is the CR
		{"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", 200, -1},
		{"HTTP/1.1 200\r\n\r\n", 0, -1},       // no space after the code
		{"HTTP/1.1 20x OK\r\n\r\n", 0, -1},    // not 3 digits
		{"HTTP/1.1  200 OK\r\n\r\n", 0, -1},   // two spaces
		{"HTTP/1.1\r\n200 OK\r\n\r\n", 0, -1}, // no space on the status line
		{"HTTP/1.1 200 OK\r\nContent-Length: 5 \r\n\r\n", 200, -1},
		{"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", 200, -1},
		{"HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\n\r\n", 200, 5},                    // strstr finds it
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 200, 1}, // the first, as strstr
	} {
		if got := statusCode([]byte(c.head)); got != c.status {
			t.Errorf("%q: status %d, want %d", c.head, got, c.status)
		}
		if got := contentLength([]byte(c.head)); got != c.clen {
			t.Errorf("%q: Content-Length %d, want %d", c.head, got, c.clen)
		}
	}
}
