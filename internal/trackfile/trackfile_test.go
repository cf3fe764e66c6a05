package trackfile

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in string
		v  int64
		ok bool
	}{
		{"", 0, true}, {"abc", 0, true}, {"5\n", 5, true}, {"  -20 junk", -20, true}, {"+7", 7, true},
		{"0x10", 16, true}, {"0X1f", 31, true}, {"010", 8, true}, {"09", 0, true}, {"0x", 0, true},
		{"-254", -254, true}, {"2147483648", 2147483648, true}, {"2147483649", 2147483649, false},
		{"-2147483648", -2147483648, true}, {"-2147483649", -2147483649, false}, {"99999999999999999999999", 0, false},
	} {
		v, ok := Parse([]byte(c.in))
		if v != c.v || ok != c.ok {
			t.Errorf("Parse(%q) = %d, %v; want %d, %v", c.in, v, ok, c.v, c.ok)
		}
	}
}

func TestReadAndInit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if v, ok := Read(p); v != 0 || !ok {
		t.Fatalf("missing file read %d %v", v, ok)
	}
	if err := Init(p, 7, false, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "7\n" {
		t.Fatalf("init wrote %q", b)
	}
	// Exists: kept without overwrite, replaced with it, kept at reload.
	Init(p, 9, false, false)
	if v, _ := Read(p); v != 7 {
		t.Fatalf("init without overwrite changed the file: %d", v)
	}
	Init(p, 9, true, true)
	if v, _ := Read(p); v != 7 {
		t.Fatalf("init at reload changed the file: %d", v)
	}
	Init(p, -3, true, false)
	if v, _ := Read(p); v != -3 {
		t.Fatalf("init with overwrite: %d", v)
	}
	if err := Init(dir, 1, true, false); err == nil {
		t.Fatal("a directory was initialised")
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	if _, err := Resolve(filepath.Join(dir, "nodir", "f")); err == nil {
		t.Fatal("missing directory resolved")
	}
	os.Symlink(dir, filepath.Join(dir, "link"))
	got, err := Resolve(filepath.Join(dir, "link", "f"))
	real, _ := filepath.EvalSymlinks(dir)
	if err != nil || got != filepath.Join(real, "f") {
		t.Fatalf("Resolve = %q, %v", got, err)
	}
}

func TestWatcher(t *testing.T) {
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	p := filepath.Join(dir, "val")
	w, err := NewWatcher([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		path string
		gone bool
	}
	evs := make(chan ev, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx, func(p string, g bool) { evs <- ev{p, g} }) }()
	next := func(what string) ev {
		t.Helper()
		select {
		case e := <-evs:
			return e
		case <-time.After(5 * time.Second):
			t.Fatalf("no event for %s", what)
		}
		return ev{}
	}
	os.WriteFile(filepath.Join(dir, "other"), []byte("1"), 0o644) // not watched
	os.WriteFile(p, []byte("12\n"), 0o644)
	if e := next("write"); e.path != p || e.gone {
		t.Fatalf("write: %+v", e)
	}
	tmp := filepath.Join(dir, "tmp")
	os.WriteFile(tmp, []byte("3"), 0o644)
	os.Rename(tmp, p)
	if e := next("move in"); e.path != p || e.gone {
		t.Fatalf("move in: %+v", e)
	}
	os.Remove(p)
	if e := next("delete"); e.path != p || !e.gone {
		t.Fatalf("delete: %+v", e)
	}
	select {
	case e := <-evs:
		t.Fatalf("unexpected event %+v", e)
	default:
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end with its context")
	}
	w.Close()
}

// FuzzParse: never panics, and an accepted value printed back in
// decimal parses to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", " 12\n", "-7x", "+", "", "0x1F", "017", "99999999999999999999", "\t-3 4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := Parse([]byte(s))
		if !ok {
			return
		}
		if v2, ok2 := Parse([]byte(strconv.FormatInt(v, 10))); !ok2 || v2 != v {
			t.Fatalf("Parse(%q) = %d, which reads back as %d %v", s, v, v2, ok2)
		}
	})
}

// TestWatcherQueueOverflow: while the reader is held up, more events
// than the kernel queues (fs.inotify.max_queued_events) arrive and a
// watched file's change is among those lost; the overflow must make the
// watcher report every watched file, so that change is still read.
func TestWatcherQueueOverflow(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	max, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || max <= 0 || max > 200000 {
		t.Fatalf("max_queued_events %q %v", b, err)
	}
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	a, p := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	w, err := NewWatcher([]string{a, p})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hold := make(chan struct{})
	var mu sync.Mutex
	seen := map[string]int{}
	go w.Run(ctx, func(path string, gone bool) {
		<-hold
		mu.Lock()
		seen[path]++
		mu.Unlock()
	})
	os.WriteFile(a, []byte("1\n"), 0o644) // the reader now waits in the callback
	time.Sleep(100 * time.Millisecond)
	for i := range max + 100 { // distinct names: the kernel merges repeats
		f, err := os.Create(filepath.Join(dir, "noise"+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	os.WriteFile(p, []byte("2\n"), 0o644) // lost in the overflow
	close(hold)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := seen[p]
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change of a watched file lost in a queue overflow was never reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// init_file never writes through a symlink at the file's path (put there
// by whoever can write the directory): the link is replaced by the file.
func TestInitDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	link := filepath.Join(dir, "track")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := Init(link, 5, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(victim); !os.IsNotExist(err) {
		t.Fatalf("the dangling link's target was created: %v", err)
	}
	if st, err := os.Lstat(link); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("track file is %v, %v; want a regular file", st, err)
	}
	// overwrite with the link pointing at an existing file: the file keeps
	// its content.
	os.WriteFile(victim, []byte("precious\n"), 0o600)
	os.Remove(link)
	os.Symlink(victim, link)
	if err := Init(link, 7, true, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("written through the link: %q", b)
	}
	if b, _ := os.ReadFile(link); string(b) != "7\n" {
		t.Fatalf("track file holds %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".track.*")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}
