package vrrpd

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/trackfile"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

type fileTrack struct {
	name, path string
	value      int64
}

// loadFiles sets up the track files that instances or groups track:
// init_file first, then each file's value is read and given to the
// instances (silently before they start, as a tracker event after).
func (r *Runtime) loadFiles(cfg *conf.Config, reload bool, now time.Time) {
	used := map[string]bool{}
	for _, v := range cfg.VRRPInstances {
		for _, t := range vrrp.ExtraTrackers(cfg, v) {
			if t.File {
				used[t.Name] = true
			}
		}
	}
	old := r.files
	r.files = nil
	for _, tf := range cfg.TrackFiles {
		if !used[vrrp.FileTracker(tf.Name)] {
			continue
		}
		if tf.InitFile {
			if err := trackfile.Init(tf.File, tf.InitValue, tf.Overwrite, reload); err != nil {
				r.log.Warn(fmt.Sprintf("Unable to initialise track file %s", tf.Name), "err", err)
			}
		}
		path, err := trackfile.Resolve(tf.File)
		if err != nil {
			r.log.Warn(fmt.Sprintf("Track file directory for %s does not exist - removing", tf.Name), "err", err)
			continue
		}
		ft := &fileTrack{name: vrrp.FileTracker(tf.Name), path: path}
		if i := slices.IndexFunc(old, func(o *fileTrack) bool { return o.name == ft.name && o.path == ft.path }); i >= 0 {
			ft.value = old[i].value
		}
		if v, ok := trackfile.Read(path); ok {
			ft.value = v
		} else {
			r.log.Info(fmt.Sprintf("Invalid number %d read from %s - ignoring", v, path))
		}
		r.files = append(r.files, ft)
	}
	for _, ft := range r.files {
		r.fileValue(now, ft)
	}
}

// fileValue gives a file's value to the instances tracking it.
func (r *Runtime) fileValue(now time.Time, ft *fileTrack) {
	for _, ri := range r.insts {
		if !slices.ContainsFunc(ri.inst.Config().Trackers, func(t vrrp.Tracker) bool { return t.Name == ft.name }) {
			continue
		}
		if ri.inst.State() == vrrp.StateInit {
			ri.inst.SetTrackValue(ft.name, ft.value)
		} else {
			r.exec(ri, now, ri.inst.Step(now, vrrp.EventTrackValue{Name: ft.name, Value: ft.value}))
		}
	}
}

// startFiles watches the track files (inotify on their directories) and
// feeds changes to the loop.
func (r *Runtime) startFiles() {
	if r.watchStop != nil {
		r.watchStop()
		r.watchStop = nil
	}
	if len(r.files) == 0 || r.rctx == nil {
		return
	}
	var paths []string
	for _, ft := range r.files {
		paths = append(paths, ft.path)
	}
	w, err := trackfile.NewWatcher(paths)
	if err != nil {
		r.log.Error("Unable to monitor track files", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(r.rctx)
	r.watchStop = cancel
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		err := w.Run(ctx, func(path string, gone bool) {
			v, ok := int64(0), true
			if !gone {
				v, ok = trackfile.Read(path)
			}
			if !ok {
				r.log.Info(fmt.Sprintf("Invalid number %d read from %s - ignoring", v, path))
				return
			}
			select {
			case r.calls <- func(now time.Time) { r.fileChanged(now, path, v) }:
			case <-ctx.Done():
			}
		})
		if err != nil && ctx.Err() == nil {
			r.log.Error("track file monitor", "err", err)
		}
	}()
}

func (r *Runtime) fileChanged(now time.Time, path string, v int64) {
	for _, ft := range r.files {
		if ft.path == path && ft.value != v {
			ft.value = v
			r.fileValue(now, ft)
		}
	}
}
