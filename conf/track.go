package conf

import (
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// VRRPScript is a vrrp_script block.
type VRRPScript struct {
	Pos      Pos           `json:"-"`
	Name     string        `json:"name"`
	Script   *Script       `json:"script,omitempty"`
	Interval time.Duration `json:"interval"`
	// Timeout 0 means the interval.
	Timeout  time.Duration `json:"timeout"`
	Weight   int           `json:"weight"`
	Reverse  bool          `json:"reverse,omitempty"`
	Rise     int           `json:"rise"`
	Fall     int           `json:"fall"`
	User     string        `json:"user,omitempty"`
	Group    string        `json:"group,omitempty"`
	InitFail bool          `json:"init_fail,omitempty"`
}

// TrackFile is a track_file (or vrrp_track_file) block.
type TrackFile struct {
	Pos     Pos    `json:"-"`
	Name    string `json:"name"`
	File    string `json:"file"`
	Weight  int    `json:"weight"`
	Reverse bool   `json:"reverse,omitempty"`
	// InitFile is set by init_file: create the file with InitValue (and
	// overwrite an existing one with Overwrite).
	InitFile  bool `json:"init_file,omitempty"`
	InitValue int  `json:"init_value,omitempty"`
	Overwrite bool `json:"overwrite,omitempty"`
}

// TrackProcess is a vrrp_track_process block.
type TrackProcess struct {
	Pos            Pos           `json:"-"`
	Name           string        `json:"name"`
	Process        string        `json:"process"`
	Params         []string      `json:"params,omitempty"`
	ParamMatch     string        `json:"param_match,omitempty"` // exact, initial, partial
	Weight         int           `json:"weight"`
	Reverse        bool          `json:"reverse,omitempty"`
	Quorum         int           `json:"quorum"`
	QuorumMax      int           `json:"quorum_max"` // -1: unlimited
	TerminateDelay time.Duration `json:"terminate_delay,omitempty"`
	ForkDelay      time.Duration `json:"fork_delay,omitempty"`
	FullCommand    bool          `json:"full_command,omitempty"`
}

// TrackedRef is a reference to a tracker from an instance or sync group
// (track_script, track_file, track_process, track_bfd, track_interface).
type TrackedRef struct {
	Pos     Pos    `json:"-"`
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Reverse bool   `json:"reverse,omitempty"`
}

func findScript(d *decoder, name string) *VRRPScript {
	for _, s := range d.cfg.VRRPScripts {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func findTrackFile(d *decoder, name string) *TrackFile {
	for _, f := range d.cfg.TrackFiles {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func findTrackProcess(d *decoder, name string) *TrackProcess {
	for _, p := range d.cfg.TrackProcesses {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func decodeVRRPScript(d *decoder, s *syntax.Stmt) {
	name, ok := d.arg(s, 1)
	if !ok {
		return
	}
	vs := &VRRPScript{Pos: s.Pos(), Name: name, Interval: time.Second, Rise: 1, Fall: 1}
	sd := &scriptDecode{vs: vs}
	d.walk("vrrp_script", s.Block, boundKeywords{vrrpScriptTable, sd})
	remove, userSet, cred := sd.remove, sd.userSet, sd.cred
	if vs.Script == nil {
		// keepalived checks when the block closes
		pos := s.Close()
		if pos.Line == 0 {
			pos = s.WordPos(1)
		}
		d.add(pos, syntax.GeneralError, "No script set for vrrp_script %s - removing", name)
		return
	}
	if remove {
		return
	}
	if !userSet {
		end := s.Close()
		if end.Line == 0 {
			end = s.Pos()
		}
		removing := func() {
			d.add(end, syntax.GeneralError, "Unable to set default user for vrrp script %s - removing", name)
		}
		if cred, userSet = d.defaultUser(end, phaseVRRP, func() { removing(); d.dropVRRPScript(vs) },
			func(c scriptCred) { vs.Script.cred = c }); !userSet {
			removing()
			return
		}
	}
	vs.Script.cred = cred
	if vs.User != "" {
		vs.Script.User, vs.Script.Group = vs.User, vs.Group
	}
	d.cfg.VRRPScripts = append(d.cfg.VRRPScripts, vs)
}

// dropVRRPScript removes a vrrp_script found unusable after the
// instances took it: their references become keepalived's "not found".
func (d *decoder) dropVRRPScript(vs *VRRPScript) {
	d.cfg.VRRPScripts = slices.DeleteFunc(d.cfg.VRRPScripts, func(s *VRRPScript) bool { return s == vs })
	drop := func(owner string, refs []TrackedRef) []TrackedRef {
		return slices.DeleteFunc(refs, func(r TrackedRef) bool {
			if r.Name == vs.Name {
				d.add(r.Pos, syntax.GeneralError, "(%s) track script %s not found, ignoring...", owner, r.Name)
				return true
			}
			return false
		})
	}
	for _, v := range d.cfg.VRRPInstances {
		v.TrackScripts = drop(v.Name, v.TrackScripts)
	}
	for _, sg := range d.cfg.SyncGroups {
		sg.TrackScripts = drop(sg.Name, sg.TrackScripts)
	}
}

func scriptCmd(sc *Script) string {
	if sc == nil {
		return ""
	}
	return cmdStr(sc.Argv)
}

func decodeTrackFile(d *decoder, s *syntax.Stmt) {
	if s.Keyword() == "vrrp_track_file" {
		// 2.2.7 only logs this deprecation.
		d.vlogInfo(s.Pos(), "\"vrrp_track_file\" is deprecated, please use \"track_file\"")
	}
	name, ok := d.arg(s, 1)
	if !ok {
		return
	}
	tf := &TrackFile{Pos: s.Pos(), Name: name, Weight: 1}
	d.walk(s.Keyword(), s.Block, boundKeywords{trackFileTable, &trackFileDecode{tf: tf}})
	if tf.File == "" {
		d.errorf(s, 1, "No file set for track_file %s - ignoring", name)
		return
	}
	d.cfg.TrackFiles = append(d.cfg.TrackFiles, tf)
}

func decodeTrackProcess(d *decoder, s *syntax.Stmt) {
	name, ok := d.arg(s, 1)
	if !ok {
		return
	}
	tp := &TrackProcess{Pos: s.Pos(), Name: name, Quorum: 1, QuorumMax: -1}
	d.walk("vrrp_track_process", s.Block, boundKeywords{trackProcessTable, tp})
	if tp.Process == "" {
		d.errorf(s, 1, "track process '%s' process name not specified", name)
		return
	}
	d.cfg.TrackProcesses = append(d.cfg.TrackProcesses, tp)
}

func processDelay(d *decoder, c *syntax.Stmt, tp *TrackProcess, typ string) {
	v, ok := d.readTimer(c, 1, 1, 3600*timerHz)
	if !ok {
		d.errorf(c, 1, "%sdelay (%s) for vrrp_track_process %s must be between [0.000001..3600] inclusive. Ignoring...", typ, word(c, 1), tp.Name)
		return
	}
	if typ != "fork_" {
		tp.TerminateDelay = v
	}
	if typ != "terminate_" {
		tp.ForkDelay = v
	}
}

// trackRef decodes one line of a track_script/track_file/track_process/
// track_bfd block of an instance or sync group. kind names the tracker in
// messages ("script", "file", "process", "bfd"); def gives the tracker's
// own weight/reverse and whether it exists; lo/hi is the weight range.
func (d *decoder) trackRef(owner string, c *syntax.Stmt, kind string, refs []TrackedRef,
	exists bool, defWeight int, defReverse bool, lo, hi int64) (TrackedRef, bool) {
	name := word(c, 0)
	if !exists {
		d.errorf(c, 0, "(%s) track %s %s not found, ignoring...", owner, kind, name)
		return TrackedRef{}, false
	}
	kw := "track_" + kind
	for _, r := range refs {
		if r.Name == name {
			d.errorf(c, 0, "(%s) duplicate %s %s - ignoring", owner, kw, name)
			return TrackedRef{}, false
		}
	}
	ref := TrackedRef{Pos: c.Pos(), Name: name, Weight: defWeight, Reverse: defReverse}
	if len(c.Words) >= 2 {
		if word(c, 1) != "weight" {
			switch kind {
			case "bfd":
				d.errorf(c, 1, "(%s) unknown track bfd %s option %s - ignoring", owner, name, word(c, 1))
			default:
				d.errorf(c, 1, "(%s) unknown track %s option %s - ignoring", owner, kind, word(c, 1))
			}
			return TrackedRef{}, false
		}
		if len(c.Words) == 2 {
			d.errorf(c, 1, "(%s) weight without value specified for track %s %s - ignoring", owner, kind, name)
			return TrackedRef{}, false
		}
		v, ok := d.readInt(c, 2, lo, hi)
		switch {
		case !ok:
			if kind == "script" {
				d.errorf(c, 2, "(%s) track script %s: weight must be between [-253..253] inclusive, ignoring...", owner, name)
			} else {
				d.errorf(c, 2, "(%s) weight for track %s %s must be in [%d..%d] inclusive. Ignoring...", owner, kind, name, lo, hi)
			}
			v = int64(defWeight)
		case kind == "script" && (v == 254 || v == -254):
			d.errorf(c, 2, "(%s) weight for %s cannot be +/-254. Setting to +/-253", owner, name)
			if v < 0 {
				v = -253
			} else {
				v = 253
			}
		}
		ref.Weight = int(v)
		if len(c.Words) >= 4 {
			switch word(c, 3) {
			case "reverse":
				ref.Reverse = true
			case "noreverse":
				ref.Reverse = false
			default:
				d.errorf(c, 3, "(%s) unknown %s %s weight option %s - ignoring", owner, kw, name, word(c, 3))
				if kind == "file" || kind == "bfd" {
					return TrackedRef{}, false
				}
			}
		}
	}
	return ref, true
}

// trackIf decodes one line of track_interface.
func (d *decoder) trackIf(owner string, c *syntax.Stmt, refs []TrackedRef) (TrackedRef, bool) {
	name := word(c, 0)
	if !d.ifExists(name, c.Pos()) {
		d.errorf(c, 0, "(%s) tracked interface %s doesn't exist", owner, name)
		return TrackedRef{}, false
	}
	for _, r := range refs {
		if r.Name == name {
			d.errorf(c, 0, "(%s) duplicate track_interface %s - ignoring", owner, name)
			return TrackedRef{}, false
		}
	}
	ref := TrackedRef{Pos: c.Pos(), Name: name}
	if len(c.Words) >= 2 {
		if word(c, 1) != "weight" {
			d.errorf(c, 1, "(%s) unknown track_interface %s option %s - ignoring", owner, name, word(c, 1))
			return TrackedRef{}, false
		}
		if len(c.Words) == 2 {
			d.errorf(c, 1, "(%s) weight without value specified for track_interface %s - ignoring", owner, name)
			return TrackedRef{}, false
		}
		v, ok := d.readInt(c, 2, -254, 254)
		if !ok {
			d.errorf(c, 2, "(%s) weight %s for %s must be between [-253..253] inclusive. Ignoring...", owner, word(c, 2), name)
			v = 0
		} else if v == 254 || v == -254 {
			d.errorf(c, 2, "(%s) weight for %s cannot be +/-254. Setting to +/-253", owner, name)
			if v < 0 {
				v = -253
			} else {
				v = 253
			}
		}
		ref.Weight = int(v)
		if len(c.Words) >= 4 {
			if word(c, 3) == "reverse" {
				ref.Reverse = true
			} else {
				d.errorf(c, 3, "(%s) unknown track_interace %s weight option %s - ignoring", owner, name, word(c, 3))
			}
		}
	}
	return ref, true
}

// trackBlocks holds the track_* blocks shared by instances and groups.
type trackBlocks struct {
	TrackInterfaces []TrackedRef `json:"track_interface,omitempty"`
	TrackScripts    []TrackedRef `json:"track_script,omitempty"`
	TrackFiles      []TrackedRef `json:"track_file,omitempty"`
	TrackProcesses  []TrackedRef `json:"track_process,omitempty"`
	TrackBFDs       []TrackedRef `json:"track_bfd,omitempty"`
}

// trackKeywords decodes what a VRRP instance or sync group tracks; at
// gives the owner's name (for messages) and its track blocks:
//
//	track_interface { IFNAME [weight N] ... }
//	track_script|track_file|track_process { NAME [weight N [reverse]] ... }
//	track_bfd { NAME [weight N [reverse]] ... }
func trackKeywords(at func(d *decoder) (string, *trackBlocks)) table {
	t := table{
		"track_interface": {block: true, fn: func(d *decoder, s *syntax.Stmt) {
			owner, tb := at(d)
			for _, c := range d.valueStmts(s) {
				if r, ok := d.trackIf(owner, c, tb.TrackInterfaces); ok {
					tb.TrackInterfaces = append(tb.TrackInterfaces, r)
				}
			}
		}},
	}
	addTrackRefs(t, "script", at, func(tb *trackBlocks) *[]TrackedRef { return &tb.TrackScripts }, -254, 254, func(d *decoder, name string) (int, bool, bool) {
		if sc := findScript(d, name); sc != nil {
			return sc.Weight, sc.Reverse, true
		}
		return 0, false, false
	})
	addTrackRefs(t, "file", at, func(tb *trackBlocks) *[]TrackedRef { return &tb.TrackFiles }, -254, 254, func(d *decoder, name string) (int, bool, bool) {
		if tf := findTrackFile(d, name); tf != nil {
			return tf.Weight, tf.Reverse, true
		}
		return 0, false, false
	})
	addTrackRefs(t, "process", at, func(tb *trackBlocks) *[]TrackedRef { return &tb.TrackProcesses }, -254, 254, func(d *decoder, name string) (int, bool, bool) {
		if tp := findTrackProcess(d, name); tp != nil {
			return tp.Weight, tp.Reverse, true
		}
		return 0, false, false
	})
	addTrackRefs(t, "bfd", at, func(tb *trackBlocks) *[]TrackedRef { return &tb.TrackBFDs }, -253, 253, func(d *decoder, name string) (int, bool, bool) {
		if b := findBFD(d, name); b != nil {
			// only a bfd_instance marked "vrrp" can be tracked here
			return b.Weight, b.Reverse, b.VRRP
		}
		return 0, false, false
	})
	return t
}

// addTrackRefs installs a track_<kind> value block: each line names a
// tracker, which find resolves to its default weight and reverse flag.
func addTrackRefs(t table, kind string, at func(d *decoder) (string, *trackBlocks), list func(tb *trackBlocks) *[]TrackedRef, lo, hi int64,
	find func(d *decoder, name string) (weight int, reverse, found bool)) {
	t["track_"+kind] = kw{block: true, fn: func(d *decoder, s *syntax.Stmt) {
		owner, tb := at(d)
		refs := list(tb)
		for _, c := range d.valueStmts(s) {
			w, rev, found := find(d, word(c, 0))
			if r, ok := d.trackRef(owner, c, kind, *refs, found, w, rev, lo, hi); ok {
				*refs = append(*refs, r)
			}
		}
	}}
}

// weightReverse reads the optional "reverse" after "weight N" (word 2 of
// c); anything else there is reported as keepalived does, for what (e.g.
// "vrrp_script chk").
func (d *decoder) weightReverse(c *syntax.Stmt, what string) bool {
	if len(c.Words) < 3 {
		return false
	}
	if word(c, 2) == "reverse" {
		return true
	}
	d.errorf(c, 2, "%s unknown weight option %s", what, word(c, 2))
	return false
}

// scriptDecode is a vrrp_script being decoded, with what its user keyword
// decided.
type scriptDecode struct {
	vs      *VRRPScript
	remove  bool
	userSet bool
	cred    scriptCred
}

var vrrpScriptTable = vrrpScriptKeywords()

// scriptSeconds reads a vrrp_script interval or timeout in milliseconds:
// up to 3 decimals from 2.3.2, whole seconds before.
func (d *decoder) scriptSeconds(c *syntax.Stmt) (uint64, bool) {
	if d.opt.Compat.AtLeast(2, 3, 2) {
		return d.readDecimal(c, 1, 0, 0xffffffff/timerHz*1000, 3, true)
	}
	v, ok := d.readUnsigned(c, 1, 0, 0xffffffff/timerHz)
	return v * 1000, ok
}

// vrrpScriptKeywords decodes a vrrp_script block:
//
//	script COMMAND
//	interval|timeout SECONDS
//	weight -253..253 [reverse]
//	rise|fall N
//	user USER [GROUP]
//	init_fail
func vrrpScriptKeywords() table {
	return table{
		"script": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			if sc, ok := d.script(c); ok {
				// words after the command are not a user here
				sc.User, sc.Group = "", ""
				sd.vs.Script = &sc
			}
		}),
		// Milliseconds (keepalived 2.3.2): up to 3 decimals, more are
		// rounded with a warning, an invalid number counts as 0. Before
		// 2.3.2 (--compat), whole seconds.
		"interval": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			v, ok := d.scriptSeconds(c)
			if !ok {
				if d.opt.Compat.AtLeast(2, 3, 2) {
					d.errorf(c, 1, "(%s): vrrp script interval '%s' must be between 0.001 and %d - ignoring", sd.vs.Name, word(c, 1), 0xffffffff/timerHz)
				} else {
					d.errorf(c, 1, "(%s): vrrp script interval '%s' must be between 1 and %d - ignoring", sd.vs.Name, word(c, 1), 0xffffffff/timerHz)
				}
				return
			}
			if v == 0 {
				d.errorf(c, 1, "(%s): vrrp script interval must be greater than 0, setting to 1", sd.vs.Name)
				v = 1000
			}
			sd.vs.Interval = time.Duration(v) * time.Millisecond
		}),
		"timeout": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			v, ok := d.scriptSeconds(c)
			if !ok {
				d.errorf(c, 1, "(%s): vrrp script timeout '%s' invalid - ignoring", sd.vs.Name, word(c, 1))
				return
			}
			if v == 0 {
				d.errorf(c, 1, "(%s): vrrp script timeout must be greater than 0, setting to 1", sd.vs.Name)
				v = 1000
			}
			sd.vs.Timeout = time.Duration(v) * time.Millisecond
		}),
		"weight": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			v, ok := d.readInt(c, 1, -253, 253)
			if !ok {
				d.errorf(c, 1, "vrrp_script %s weight %s must be in [-253, 253]", sd.vs.Name, word(c, 1))
			}
			sd.vs.Weight = int(v)
			sd.vs.Reverse = d.weightReverse(c, "vrrp_script "+sd.vs.Name)
		}),
		"rise": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			v, ok := d.readUnsigned(c, 1, 1, 1<<31-1)
			if !ok {
				d.errorf(c, 1, "(%s): vrrp script rise value '%s' invalid, defaulting to 1", sd.vs.Name, word(c, 1))
				v = 1
			}
			sd.vs.Rise = int(v)
		}),
		"fall": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			v, ok := d.readUnsigned(c, 1, 1, 1<<31-1)
			if !ok {
				d.errorf(c, 1, "(%s): vrrp script fall value '%s' invalid, defaulting to 1", sd.vs.Name, word(c, 1))
				v = 1
			}
			sd.vs.Fall = int(v)
		}),
		"user": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) {
			user, ok := d.arg(c, 1)
			if !ok {
				return
			}
			uc, ok := d.lookupUser(c.Pos(), user, word(c, 2))
			if !ok {
				d.errorf(c, 1, "Unable to set uid/gid for script %s", scriptCmd(sd.vs.Script))
				sd.remove = true
				return
			}
			sd.remove, sd.userSet, sd.cred = false, true, uc
			sd.vs.User = user
			sd.vs.Group = word(c, 2)
		}),
		"init_fail": objKw(func(d *decoder, sd *scriptDecode, c *syntax.Stmt) { sd.vs.InitFail = true }),
	}
}

// trackFileDecode is a track_file being decoded.
type trackFileDecode struct {
	tf        *TrackFile
	weightSet bool
}

var trackFileTable = trackFileKeywords()

// trackFileKeywords decodes a track_file (vrrp_track_file, deprecated) block:
//
//	file PATH
//	weight -254..254 [reverse]
//	init_file [VALUE] [overwrite]
func trackFileKeywords() table {
	return table{
		"file": objKw(func(d *decoder, tfd *trackFileDecode, c *syntax.Stmt) {
			if len(c.Words) < 2 {
				d.errorf(c, 1, "track file file name missing")
				return
			}
			if tfd.tf.File != "" {
				d.errorf(c, 1, "File already set for track file %s - ignoring %s", tfd.tf.Name, word(c, 1))
				return
			}
			tfd.tf.File = word(c, 1)
		}),
		"weight": objKw(func(d *decoder, tfd *trackFileDecode, c *syntax.Stmt) {
			if len(c.Words) < 2 {
				d.errorf(c, 1, "No weight specified for track file %s - ignoring", tfd.tf.Name)
				return
			}
			if tfd.weightSet && tfd.tf.Weight != 1 {
				d.errorf(c, 1, "Weight already set for track file %s - ignoring %s", tfd.tf.Name, word(c, 1))
				return
			}
			tfd.weightSet = true
			v, ok := d.readInt(c, 1, -254, 254)
			if !ok {
				d.errorf(c, 1, "Weight (%s) for track_file %s must be between [-254..254] inclusive. Ignoring...", word(c, 1), tfd.tf.Name)
				v = 1
			}
			tfd.tf.Weight = int(v)
			tfd.tf.Reverse = d.weightReverse(c, "track_file "+tfd.tf.Name)
		}),
		"init_file": objKw(func(d *decoder, tfd *trackFileDecode, c *syntax.Stmt) {
			tfd.tf.InitFile = true
			tfd.tf.InitValue = 0
			for i := 1; i < len(c.Words); i++ {
				w := word(c, i)
				switch {
				case w != "" && (w[0] == '-' || (w[0] >= '0' && w[0] <= '9')):
					v, ok := d.readInt(c, i, -1<<31, 1<<31-1)
					if !ok {
						d.errorf(c, i, "Track file %s init value %s is invalid", tfd.tf.Name, w)
						v = 0
					} else if v < -254 || v > 254 {
						d.errorf(c, i, "Track file %s init value %d is outside sensible range [%d, %d]", tfd.tf.Name, v, -254, 254)
					}
					tfd.tf.InitValue = int(v)
				case w == "overwrite":
					tfd.tf.Overwrite = true
				default:
					d.errorf(c, i, "Unknown track file init option %s", w)
				}
			}
		}),
	}
}

var trackProcessTable = trackProcessKeywords()

// trackProcessKeywords decodes a vrrp_track_process block:
//
//	process NAME [PARAMETERS...]
//	param_match [initial|partial]
//	weight -254..254 [reverse]
//	quorum 1..65535
//	quorum_max 0..65535
//	delay|terminate_delay|fork_delay SECONDS
//	full_command
func trackProcessKeywords() table {
	return table{
		"process": objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) {
			if tp.Process != "" {
				d.errorf(c, 1, "Process already set for track process %s - ignoring %s", tp.Name, word(c, 1))
				return
			}
			v, ok := d.arg(c, 1)
			if !ok {
				return
			}
			tp.Process = v
			if len(c.Words) > 2 {
				tp.Params = valueWords(c.Words[2:])
				if tp.ParamMatch == "" {
					tp.ParamMatch = "exact"
				}
				tp.FullCommand = true
			}
		}),
		"param_match": objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) {
			switch v, ok := optArg(c, 1); {
			case !ok:
				tp.ParamMatch = "exact"
			case v == "initial" || v == "partial":
				tp.ParamMatch = v
			default:
				d.errorf(c, 1, "Invalid param_match type %s - ignoring", v)
				return
			}
			tp.FullCommand = true
		}),
		"weight": objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) {
			if len(c.Words) < 2 {
				d.errorf(c, 1, "No weight specified for track process %s - ignoring", tp.Name)
				return
			}
			if tp.Weight != 0 {
				d.errorf(c, 1, "Weight already set for track process %s - ignoring %s", tp.Name, word(c, 1))
				return
			}
			v, ok := d.readInt(c, 1, -254, 254)
			if !ok {
				d.errorf(c, 1, "Weight (%s) for vrrp_track_process %s must be between [-254..254] inclusive. Ignoring...", word(c, 1), tp.Name)
				return
			}
			tp.Reverse = d.weightReverse(c, "vrrp_track_process "+tp.Name)
			tp.Weight = int(v)
		}),
		"quorum": objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) {
			v, ok := d.readUnsigned(c, 1, 1, 65535)
			if !ok {
				d.errorf(c, 1, "Quorum (%s) for vrrp_track_process %s must be between [1..65535] inclusive. Ignoring...", word(c, 1), tp.Name)
				return
			}
			if tp.QuorumMax >= 0 && int(v) > tp.QuorumMax {
				d.errorf(c, 1, "Quorum is greater than quorum_max - ignoring")
				return
			}
			tp.Quorum = int(v)
		}),
		"quorum_max": objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) {
			v, ok := d.readUnsigned(c, 1, 0, 65535)
			if !ok {
				d.errorf(c, 1, "quorum_max (%s) for vrrp_track_process %s must be between [0..65535] inclusive. Ignoring...", word(c, 1), tp.Name)
				return
			}
			if (v != 0 || tp.Quorum > 1) && int(v) < tp.Quorum {
				d.errorf(c, 1, "quorum_max is less than quorum - ignoring")
				return
			}
			tp.QuorumMax = int(v)
			if v == 0 {
				tp.Quorum = 0
			} else if tp.Quorum == 0 {
				tp.Quorum = 1
			}
		}),
		"delay":           objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) { processDelay(d, c, tp, "") }),
		"terminate_delay": objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) { processDelay(d, c, tp, "terminate_") }),
		"fork_delay":      objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) { processDelay(d, c, tp, "fork_") }),
		"full_command":    objKw(func(d *decoder, tp *TrackProcess, c *syntax.Stmt) { tp.FullCommand = true }),
	}
}
