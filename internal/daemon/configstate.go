package daemon

import (
	"crypto/sha256"
	"io"
	"os"
	"sync"
	"time"
)

// configState is what the daemon knows of the configuration it runs:
// which files it came from and what they held, so that `status` and
// /metrics can say when the running configuration is not the file on
// disk (an edit not reloaded yet, or a reload that was refused).
type configState struct {
	mu        sync.Mutex
	files     []string
	sum       [sha256.Size]byte
	appliedAt time.Time
	last      *ReloadStatus
	applied   uint64 // reloads applied
	refused   uint64 // reloads refused
}

// ReloadStatus is the outcome of the last reload.
type ReloadStatus struct {
	At      time.Time `json:"at"`
	Applied bool      `json:"applied"`
	// Problems are the diagnostics that refused it, as file:line:col.
	Problems []string `json:"problems,omitempty"`
}

// ConfigStatus is the configuration part of `gokeepalived status`.
type ConfigStatus struct {
	Files     []string  `json:"files"`
	AppliedAt time.Time `json:"applied_at"`
	// MatchesDisk is false when a file the running configuration was
	// read from has changed or gone since (an edit not reloaded yet, or
	// a reload that was refused). A file newly matching an include glob
	// is not seen.
	MatchesDisk bool          `json:"matches_disk"`
	LastReload  *ReloadStatus `json:"last_reload,omitempty"`
	Reloads     uint64        `json:"reloads_applied"`
	Refused     uint64        `json:"reloads_refused"`
}

// fingerprint hashes each file's name and contents; a file that cannot be
// read hashes as its name alone.
func fingerprint(files []string) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range files {
		io.WriteString(h, f)
		h.Write([]byte{0})
		if fh, err := os.Open(f); err == nil {
			io.Copy(h, io.LimitReader(fh, 64<<20))
			fh.Close()
		}
		h.Write([]byte{0})
	}
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

// apply records a configuration read from files as the running one.
func (c *configState) apply(files []string, reload bool) {
	sum := fingerprint(files)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files, c.sum, c.appliedAt = append([]string(nil), files...), sum, time.Now()
	if reload {
		c.applied++
		c.last = &ReloadStatus{At: c.appliedAt, Applied: true}
	}
}

// refuse records a reload that kept the running configuration.
func (c *configState) refuse(problems []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused++
	c.last = &ReloadStatus{At: time.Now(), Problems: problems}
}

// status reads the files again to compare them with what runs.
func (c *configState) status() ConfigStatus {
	c.mu.Lock()
	st := ConfigStatus{Files: c.files, AppliedAt: c.appliedAt, LastReload: c.last, Reloads: c.applied, Refused: c.refused}
	sum := c.sum
	c.mu.Unlock()
	if st.Files == nil {
		st.Files = []string{}
	}
	st.MatchesDisk = fingerprint(st.Files) == sum
	return st
}
