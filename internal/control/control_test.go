package control

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Re-executed as an unprivileged client by TestRefusesNonRoot.
	if p := os.Getenv("CONTROL_TEST_CLIENT"); p != "" {
		_, err := Request(p, "status")
		if err != nil {
			os.Stdout.WriteString(err.Error())
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func serve(t *testing.T) (string, *Server) {
	t.Helper()
	dir := openDir(t)
	path := filepath.Join(dir, "gk.sock")
	s, err := Listen(path, func(req string) (any, error) {
		if req == "status" {
			return map[string]any{"instances": []string{"VI_1"}}, nil
		}
		return nil, errors.New("unknown request " + req)
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return path, s
}

// openDir is a directory other users can traverse (t.TempDir's parent
// is private).
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gkctl")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestStatusRoundTrip(t *testing.T) {
	path, _ := serve(t)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	if os.Geteuid() != 0 {
		t.Skip("the socket answers root only")
	}
	data, err := Request(path, "status")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Instances []string }
	if err := json.Unmarshal(data, &v); err != nil || len(v.Instances) != 1 || v.Instances[0] != "VI_1" {
		t.Errorf("status = %s, %v", data, err)
	}
	if _, err := Request(path, "bogus"); err == nil || !strings.Contains(err.Error(), "unknown request bogus") {
		t.Errorf("bogus request: %v", err)
	}
}

// TestRefusesNonRoot runs a client as nobody: refused by the file mode,
// and — with the mode opened up — by the peer credential check.
func TestRefusesNonRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("GOKEEPALIVED_REQUIRE_ORACLE") != "" {
			t.Fatal("needs root to run a client as another user")
		}
		t.Skip("needs root to run a client as another user")
	}
	path, _ := serve(t)
	// The test binary lives in a 0700 build directory: copy it where
	// nobody can run it.
	self := filepath.Join(openDir(t), "client")
	orig, _ := os.Executable()
	b, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(self, b, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "CONTROL_TEST_CLIENT="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("client as nobody: %v %s", err, out)
		}
		return string(out)
	}
	if out := run(); !strings.Contains(out, "permission denied") {
		t.Errorf("mode 0600: %s", out)
	}
	os.Chmod(path, 0o666)
	if out := run(); !strings.Contains(out, "for root only") {
		t.Errorf("mode 0666: %s", out)
	}
}

// TestListenLeavesWhatIsNotItsOwn: a file at the socket's path, or a
// socket a live daemon answers on, is not removed; a stale socket is.
func TestListenLeavesWhatIsNotItsOwn(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "gk.sock")
	os.WriteFile(p, []byte("keep me"), 0o600)
	if _, err := Listen(p, nil); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "keep me" {
		t.Errorf("the file was touched: %q", b)
	}
	os.Remove(p)
	live, err := Listen(p, func(string) (any, error) { return "ok", nil })
	if err != nil {
		t.Fatal(err)
	}
	go live.Serve()
	if _, err := Listen(p, nil); err == nil || !strings.Contains(err.Error(), "another daemon") {
		t.Errorf("Listen over a live socket: %v", err)
	}
	live.ln.SetUnlinkOnClose(false)
	live.Close() // leaves a stale socket file behind
	if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("want a stale socket left: %v", err)
	}
	s, err := Listen(p, nil)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	s.Close()
}

// TestServeSurvivesAcceptErrors: running out of file descriptors makes
// Accept fail for a while; the socket must still answer afterwards.
func TestServeSurvivesAcceptErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gk.sock")
	s, err := Listen(p, func(string) (any, error) { return "pong", nil })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.allowed = func(uint32) bool { return true }
	var fails atomic.Int32
	real := s.accept
	s.accept = func() (*net.UnixConn, error) {
		if fails.Add(1) <= 5 {
			return nil, syscall.EMFILE
		}
		return real()
	}
	go s.Serve()
	data, err := Request(p, "ping")
	if err != nil || string(data) != `"pong"` {
		t.Fatalf("after accept errors: %q %v", data, err)
	}
	if fails.Load() < 6 {
		t.Errorf("accept called %d times", fails.Load())
	}
}

// Clients that connect and never speak hold a slot for requestTimeout at
// most, and the ones past MaxConns are closed at once rather than queued:
// after 500 of them a real request is answered within a few seconds, not
// after 500/32 × 10 s.
func TestIdleClientsDoNotQueueAhead(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the socket answers root only")
	}
	path, _ := serve(t)
	var idle []net.Conn
	for i := 0; i < 500; i++ {
		c, err := net.Dial("unix", path)
		if err != nil {
			continue // the backlog is full: refused is fine too
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	start := time.Now()
	for {
		if _, err := Request(path, "status"); err == nil {
			break
		}
		if time.Since(start) > requestTimeout+3*time.Second {
			t.Fatalf("no answer %v after 500 idle clients", time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
