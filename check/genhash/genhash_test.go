package genhash

import (
	"bytes"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDigestMatchesMd5sum(t *testing.T) {
	if _, err := exec.LookPath("md5sum"); err != nil {
		t.Skip("md5sum not installed")
	}
	dir := t.TempDir()
	data := make([]byte, 100_000)
	rand.Read(data)
	file := filepath.Join(dir, "page.bin")
	os.WriteFile(file, data, 0o644)
	out, err := exec.Command("md5sum", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))[0] + "\n"

	for _, tls := range []bool{false, true} {
		var srv *httptest.Server
		var hosts []string
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hosts = append(hosts, r.Host)
			http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
		})
		if tls {
			srv = httptest.NewTLSServer(h)
		} else {
			srv = httptest.NewServer(h)
		}
		host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		args := []string{"-s", host, "--port", port, "--url=/page.bin", "-V", "www.example.test", "-P", "1.1"}
		if tls {
			args = append(args, "-S", "--use-sni")
		}
		var stdout, stderr bytes.Buffer
		if rc := Main("keepalived", args, false, &stdout, &stderr); rc != 0 {
			t.Fatalf("rc %d, stderr %s", rc, stderr.String())
		}
		if stdout.String() != want {
			t.Errorf("tls=%v: genhash printed %q, md5sum says %q (stderr %q)", tls, stdout.String(), want, stderr.String())
		}
		if len(hosts) != 1 || hosts[0] != "www.example.test" {
			t.Errorf("Host headers %q", hosts)
		}
		srv.Close()
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-s", "127.0.0.1", "-p", "80"}, // no url
		{"-s", "localhost", "-p", "80", "-u", "/"}, // not an IP
		{"-s", "127.0.0.1", "-p", "0", "-u", "/"},  // bad port
		{"-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2"},
		{"-s", "127.0.0.1", "-p", "80", "-u", "/", "extra"},
		{"-h"},
		{"--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if rc := Main("genhash", args, true, &stdout, &stderr); rc != 1 {
			t.Errorf("%q: rc %d, want 1", args, rc)
		}
		if !strings.HasPrefix(stderr.String(), "Usage: genhash COMMAND") && !strings.Contains(stderr.String(), "\nUsage: genhash COMMAND") {
			t.Errorf("%q: no usage on stderr: %q", args, stderr.String())
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("-s\x00127.0.0.1\x00-p\x0080\x00-u\x00/")
	f.Add("--server=::1\x00--port\x00443\x00--url\x00/x\x00-S\x00-t\x000.5\x00-m\x000x10")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := Parse(strings.Split(s, "\x00"))
		if err == nil && (!o.Server.IsValid() || o.Port == 0 || o.Timeout <= 0) {
			t.Fatalf("accepted incomplete options %+v", o)
		}
	})
}
