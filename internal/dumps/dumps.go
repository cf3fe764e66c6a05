// Package dumps writes the files keepalived 2.2.7 writes on SIGUSR1,
// SIGUSR2 and SIGRTMIN+2 (keepalived.data, keepalived.stats,
// keepalived.json) in its formats, from a plain snapshot of the VRRP
// instances. keepalived-exporter and operators' scripts parse these files,
// so the labels, order and number formats follow 2.2.7's output.
package dumps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// State numbers as keepalived's JSON has them.
const (
	StateInit   = 0
	StateBackup = 1
	StateMaster = 2
	StateFault  = 3
)

var stateNames = map[int]string{StateInit: "INIT", StateBackup: "BACKUP", StateMaster: "MASTER", StateFault: "FAULT"}

// StateName is keepalived's name of a state number.
func StateName(s int) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "unknown"
}

// Stats are an instance's counters (vrrp_stats).
type Stats struct {
	AdvertRcvd, AdvertSent          uint64
	BecomeMaster, ReleaseMaster     uint64
	PacketLenErr, AdvertIntervalErr uint64
	IPTTLErr, InvalidTypeRcvd       uint64
	AddrListErr, InvalidAuthType    uint64
	AuthTypeMismatch, AuthFailure   uint64
	PriZeroRcvd, PriZeroSent        uint64
	// auth_hmac's (keepalived 2.4.2+), shown only with auth_hmac.
	AuthExtMissing, AuthExtMalformed, AuthExtUnknownKey uint64
	AuthExtInvalidHMAC, AuthExtStale, AuthExtReplay     uint64
}

// HMAC is what the dumps show of auth_hmac: never a key.
type HMAC struct {
	Keys           int
	ActiveKey      int
	Mode           string
	AntiReplayTime bool
	Window         int
}

// Instance is what the dumps show of one vrrp_instance.
type Instance struct {
	Name              string
	Interface         string
	VMACInterface     string
	VRID              int
	Version           int
	State, WantState  int
	BasePriority      int
	EffectivePriority int
	MasterPriority    int
	LastTransition    time.Time
	AdverInt          time.Duration
	MasterAdverInt    time.Duration
	GARPDelay         time.Duration
	GARPRefresh       time.Duration
	GARPRepeat        int
	GARPRefreshRepeat int
	GARPLowerDelay    time.Duration
	GARPLowerRepeat   int
	DownTimerAdverts  int
	LowerPrioNoAdvert bool
	HigherPrioAdvert  bool
	DontTrackPrimary  bool
	SkipCheckAdvAddr  bool
	Strict            bool
	VIPSet            bool
	PromoteSecondary  bool
	Accept            bool
	NoPreempt         bool
	PreemptDelay      time.Duration
	SMTPAlert         bool
	NotifyDeleted     bool
	NotifyPrioChanges bool
	NotifyLines       []string          // "Backup state transition script = 'cmd', uid:gid 0:0"
	Scripts           map[string]string // script_master etc. → command
	VIPs, EVIPs       []string          // "10.9.9.9 dev eth0 scope global set"
	VRoutes, VRules   []string
	TrackInterfaces   []string  // data dump: "eth1 weight 0"
	TrackIfNames      []string  // JSON dump: the interface names
	TrackScripts      []string  // data dump: "chk weight -20"
	TrackScriptCmds   []string  // JSON dump: the scripts' commands, as keepalived's
	TrackProcNames    []string  // JSON dump: the vrrp_track_process names
	MasterAddr        string    // the master's address as a BACKUP learnt it
	MulticastAddr     string    // "" for unicast
	ReadTimeout       time.Time // next timer expiry; zero: disabled
	MasterDownTimer   time.Duration
	// Drops counts dropped adverts by validate.Reason name, for metrics.
	Drops    map[string]uint64
	AuthType int // 0 none, 1 PASS, 2 AH
	AuthData string
	HMAC     *HMAC // nil without auth_hmac
	SourceIP string
	Stats    Stats
}

// WriteStats writes keepalived.stats.
func WriteStats(w io.Writer, insts []Instance) {
	for _, in := range insts {
		s := in.Stats
		fmt.Fprintf(w, "VRRP Instance: %s\n", in.Name)
		fmt.Fprintf(w, "  Advertisements:\n    Received: %d\n    Sent: %d\n", s.AdvertRcvd, s.AdvertSent)
		fmt.Fprintf(w, "  Became master: %d\n  Released master: %d\n", s.BecomeMaster, s.ReleaseMaster)
		fmt.Fprintf(w, "  Packet Errors:\n    Length: %d\n    TTL: %d\n    Invalid Type: %d\n    Advertisement Interval: %d\n    Address List: %d\n",
			s.PacketLenErr, s.IPTTLErr, s.InvalidTypeRcvd, s.AdvertIntervalErr, s.AddrListErr)
		fmt.Fprintf(w, "  Authentication Errors:\n    Invalid Type: %d\n    Type Mismatch: %d\n    Failure: %d\n",
			s.InvalidAuthType, s.AuthTypeMismatch, s.AuthFailure)
		if in.HMAC != nil {
			fmt.Fprintf(w, "  Authentication Extension Errors:\n    Missing: %d\n    Malformed: %d\n    Unknown Key: %d\n    Invalid HMAC: %d\n    Stale: %d\n    Replay: %d\n",
				s.AuthExtMissing, s.AuthExtMalformed, s.AuthExtUnknownKey, s.AuthExtInvalidHMAC, s.AuthExtStale, s.AuthExtReplay)
		}
		fmt.Fprintf(w, "  Priority Zero:\n    Received: %d\n    Sent: %d\n", s.PriZeroRcvd, s.PriZeroSent)
	}
}

// jsonObj writes an object with keys in the order given, as keepalived's
// json_writer does; encoding/json maps would sort them.
type jsonObj struct {
	b     bytes.Buffer
	first bool
}

func (o *jsonObj) key(k string) {
	if !o.first {
		o.b.WriteByte(',')
	}
	o.first = false
	o.b.WriteString(strconv.Quote(k))
	o.b.WriteByte(':')
}

func (o *jsonObj) str(k, v string) {
	o.key(k)
	s, _ := json.Marshal(v)
	o.b.Write(s)
}

func (o *jsonObj) uint(k string, v uint64) { o.key(k); o.b.WriteString(strconv.FormatUint(v, 10)) }
func (o *jsonObj) int(k string, v int)     { o.key(k); o.b.WriteString(strconv.Itoa(v)) }
func (o *jsonObj) bit(k string, v bool)    { o.key(k); o.b.WriteString(b2i(v)) }
func (o *jsonObj) bool(k string, v bool)   { o.key(k); o.b.WriteString(strconv.FormatBool(v)) }

// float is jsonw_float_field's "%g".
func (o *jsonObj) float(k string, v float64) {
	o.key(k)
	o.b.WriteString(strconv.FormatFloat(v, 'g', 6, 64))
}

func (o *jsonObj) strs(k string, v []string) {
	if len(v) == 0 {
		return // keepalived leaves out empty lists
	}
	o.key(k)
	s, _ := json.Marshal(v)
	o.b.Write(s)
}

func b2i(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// maskedPassword stands for the password in the dumps, as in keepalived
// 2.4.3's: the dumps are often shared, the password has no business there.
const maskedPassword = "********"

var scriptKeys = []string{"script_backup", "script_master", "script_fault", "script_stop", "script_deleted", "script", "script_master_rx_lower_pri"}

// WriteJSON writes keepalived.json: an array of {"data":{…},"stats":{…}};
// with version 2 (json_version), the array is the object {"vrrp":[…]}.
// The password is masked, as keepalived 2.4.3 does.
func WriteJSON(w io.Writer, insts []Instance, version int) error {
	var b bytes.Buffer
	if version == 2 {
		b.WriteString(`{"vrrp":`)
	}
	b.WriteByte('[')
	for i, in := range insts {
		if i > 0 {
			b.WriteByte(',')
		}
		d := &jsonObj{first: true}
		d.str("iname", in.Name)
		d.bit("dont_track_primary", in.DontTrackPrimary)
		d.bit("skip_check_adv_addr", in.SkipCheckAdvAddr)
		d.bit("strict_mode", in.Strict)
		d.str("vmac_ifname", in.VMACInterface)
		if in.Interface != "" {
			d.str("ifp_ifname", in.Interface)
		}
		d.int("master_priority", in.MasterPriority)
		d.key("last_transition")
		fmt.Fprintf(&d.b, "%f", float64(in.LastTransition.UnixMicro())/1e6)
		d.float("garp_delay", in.GARPDelay.Seconds())
		d.uint("garp_refresh", uint64(in.GARPRefresh/time.Second))
		d.int("garp_rep", in.GARPRepeat)
		d.int("garp_refresh_rep", in.GARPRefreshRepeat)
		d.uint("garp_lower_prio_delay", uint64(in.GARPLowerDelay/time.Second))
		d.int("garp_lower_prio_rep", in.GARPLowerRepeat)
		d.bit("lower_prio_no_advert", in.LowerPrioNoAdvert)
		d.bit("higher_prio_send_advert", in.HigherPrioAdvert)
		d.int("vrid", in.VRID)
		d.int("base_priority", in.BasePriority)
		d.int("effective_priority", in.EffectivePriority)
		d.bool("vipset", in.VIPSet)
		d.bool("promote_secondaries", in.PromoteSecondary)
		d.float("adver_int", in.AdverInt.Seconds())
		d.float("master_adver_int", in.MasterAdverInt.Seconds())
		d.bit("accept", in.Accept)
		d.bool("nopreempt", in.NoPreempt)
		d.uint("preempt_delay", uint64(in.PreemptDelay/time.Second))
		d.int("state", in.State)
		d.int("wantstate", in.WantState)
		d.int("version", in.Version)
		d.bool("smtp_alert", in.SMTPAlert)
		d.bool("notify_deleted", in.NotifyDeleted)
		for _, k := range scriptKeys {
			if c, ok := in.Scripts[k]; ok {
				d.str(k, c)
			}
		}
		d.strs("vips", in.VIPs)
		d.strs("evips", in.EVIPs)
		d.strs("vroutes", in.VRoutes)
		d.strs("vrules", in.VRules)
		d.strs("track_ifp", in.TrackIfNames)
		d.strs("track_script", in.TrackScriptCmds)
		d.strs("track_process", in.TrackProcNames)
		d.int("auth_type", in.AuthType)
		if in.AuthType != 0 {
			d.str("auth_data", maskedPassword)
		}
		s := &jsonObj{first: true}
		st := in.Stats
		s.uint("advert_rcvd", st.AdvertRcvd)
		s.uint("advert_sent", st.AdvertSent)
		s.uint("become_master", st.BecomeMaster)
		s.uint("release_master", st.ReleaseMaster)
		s.uint("packet_len_err", st.PacketLenErr)
		s.uint("advert_interval_err", st.AdvertIntervalErr)
		s.uint("ip_ttl_err", st.IPTTLErr)
		s.uint("invalid_type_rcvd", st.InvalidTypeRcvd)
		s.uint("addr_list_err", st.AddrListErr)
		s.uint("invalid_authtype", st.InvalidAuthType)
		s.uint("authtype_mismatch", st.AuthTypeMismatch)
		s.uint("auth_failure", st.AuthFailure)
		if in.HMAC != nil {
			s.uint("auth_ext_missing", st.AuthExtMissing)
			s.uint("auth_ext_malformed", st.AuthExtMalformed)
			s.uint("auth_ext_unknown_key", st.AuthExtUnknownKey)
			s.uint("auth_ext_invalid_hmac", st.AuthExtInvalidHMAC)
			s.uint("auth_ext_stale", st.AuthExtStale)
			s.uint("auth_ext_replay", st.AuthExtReplay)
		}
		s.uint("pri_zero_rcvd", st.PriZeroRcvd)
		s.uint("pri_zero_sent", st.PriZeroSent)
		fmt.Fprintf(&b, `{"data":{%s},"stats":{%s}}`, d.b.String(), s.b.String())
	}
	b.WriteByte(']')
	if version == 2 {
		b.WriteByte('}')
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// Script is what the data dump shows of one vrrp_script.
type Script struct {
	Name     string
	Command  string
	Interval time.Duration
	Timeout  time.Duration
	Weight   int
	Reverse  bool
	Rise     int
	Fall     int
	Result   int
	Good     bool
	Running  bool
	UID, GID int
	Users    []string // instances tracking it: "VI_1, weight -20"
	// InitState is "" for a script no instance tracks (not printed).
	InitState string
}

func onOff(v bool, on, off string) string {
	if v {
		return on
	}
	return off
}

// WriteData writes the VRRP part of keepalived.data: the lines
// keepalived-exporter and people read (VRRP Topology, VRRP Scripts).
func WriteData(w io.Writer, insts []Instance, scripts []Script) {
	fmt.Fprintln(w, "------< VRRP Topology >------")
	for _, in := range insts {
		fmt.Fprintf(w, " VRRP Instance = %s\n", in.Name)
		fmt.Fprintf(w, "   VRRP Version = %d\n", in.Version)
		fmt.Fprintf(w, "   State = %s\n", StateName(in.State))
		if in.State == StateBackup {
			fmt.Fprintf(w, "   Master router = %s\n", in.MasterAddr)
			fmt.Fprintf(w, "   Master priority = %d\n", in.MasterPriority)
			if in.Version == 3 {
				fmt.Fprintf(w, "   Master advert int = %.2f sec\n", in.MasterAdverInt.Seconds())
			}
		}
		fmt.Fprintf(w, "   Wantstate = %s\n", StateName(in.WantState))
		lt := float64(in.LastTransition.UnixMicro()) / 1e6
		fmt.Fprintf(w, "   Last transition = %f (%s)\n", lt, in.LastTransition.Format("Mon Jan _2 15:04:05.000000 2006"))
		if in.ReadTimeout.IsZero() {
			fmt.Fprintf(w, "   Read timeout = DISABLED\n")
		} else {
			fmt.Fprintf(w, "   Read timeout = %f (%s)\n", float64(in.ReadTimeout.UnixMicro())/1e6, in.ReadTimeout.Format("Mon Jan _2 15:04:05.000000 2006"))
		}
		fmt.Fprintf(w, "   Master down timer = %d usecs\n", in.MasterDownTimer/time.Microsecond)
		fmt.Fprintf(w, "   Interface = %s\n", in.Interface)
		if in.SourceIP != "" {
			fmt.Fprintf(w, "   Using src_ip = %s\n", in.SourceIP)
		}
		if in.MulticastAddr != "" {
			fmt.Fprintf(w, "   Multicast address %s\n", in.MulticastAddr)
		}
		fmt.Fprintf(w, "   Gratuitous ARP delay = %d\n", in.GARPDelay/time.Second)
		fmt.Fprintf(w, "   Gratuitous ARP repeat = %d\n", in.GARPRepeat)
		fmt.Fprintf(w, "   Gratuitous ARP refresh = %d\n", in.GARPRefresh/time.Second)
		fmt.Fprintf(w, "   Gratuitous ARP refresh repeat = %d\n", in.GARPRefreshRepeat)
		fmt.Fprintf(w, "   Gratuitous ARP lower priority delay = %d\n", in.GARPLowerDelay/time.Second)
		fmt.Fprintf(w, "   Gratuitous ARP lower priority repeat = %d\n", in.GARPLowerRepeat)
		if in.DownTimerAdverts > 0 {
			fmt.Fprintf(w, "   Down timer adverts = %d\n", in.DownTimerAdverts)
		}
		fmt.Fprintf(w, "   Send advert after receive lower priority advert = %t\n", !in.LowerPrioNoAdvert)
		fmt.Fprintf(w, "   Send advert after receive higher priority advert = %t\n", in.HigherPrioAdvert)
		fmt.Fprintf(w, "   Virtual Router ID = %d\n", in.VRID)
		fmt.Fprintf(w, "   Priority = %d\n", in.BasePriority)
		fmt.Fprintf(w, "   Effective priority = %d\n", in.EffectivePriority)
		fmt.Fprintf(w, "   Advert interval = %s\n", advertInterval(in.Version, in.AdverInt))
		if in.State == StateBackup && in.Version == 3 {
			fmt.Fprintf(w, "   Master advert interval = %d milli-sec\n", in.MasterAdverInt/time.Millisecond)
		}
		fmt.Fprintf(w, "   Accept = %s\n", onOff(in.Accept, "enabled", "disabled"))
		fmt.Fprintf(w, "   Preempt = %s\n", onOff(!in.NoPreempt, "enabled", "disabled"))
		if in.PreemptDelay > 0 {
			fmt.Fprintf(w, "   Preempt delay = %g secs\n", in.PreemptDelay.Seconds())
		}
		fmt.Fprintf(w, "   Promote_secondaries = %s\n", onOff(in.PromoteSecondary, "enabled", "disabled"))
		switch {
		case in.AuthType == 2:
			fmt.Fprintf(w, "   Authentication type = IPSEC_AH\n")
		case in.AuthType == 1:
			fmt.Fprintf(w, "   Authentication type = SIMPLE_PASSWORD\n   Password = %s\n", maskedPassword)
		case in.Version == 2:
			fmt.Fprintf(w, "   Authentication type = none\n")
		}
		if h := in.HMAC; h != nil {
			fmt.Fprintf(w, "   Authentication extension = HMAC-SHA256-128\n     Keys = %d, active key id = %d\n     Mode = %s\n", h.Keys, h.ActiveKey, h.Mode)
			if h.AntiReplayTime {
				fmt.Fprintf(w, "     Anti replay = time, window = %d sec\n", h.Window)
			} else {
				fmt.Fprintf(w, "     Anti replay = monotonic\n")
			}
		}
		fmt.Fprintf(w, "   Virtual IP (%d):\n", len(in.VIPs))
		for _, v := range in.VIPs {
			fmt.Fprintf(w, "     %s\n", v)
		}
		if len(in.EVIPs) > 0 {
			fmt.Fprintf(w, "   Virtual IP Excluded :\n")
			for _, v := range in.EVIPs {
				fmt.Fprintf(w, "     %s\n", v)
			}
		}
		if len(in.TrackInterfaces) > 0 {
			fmt.Fprintf(w, "   Tracked interfaces :\n")
			for _, t := range in.TrackInterfaces {
				fmt.Fprintf(w, "     %s\n", t)
			}
		}
		if len(in.TrackScripts) > 0 {
			fmt.Fprintf(w, "   Tracked scripts :\n")
			for _, t := range in.TrackScripts {
				fmt.Fprintf(w, "     %s\n", t)
			}
		}
		fmt.Fprintf(w, "   Using smtp notification = %s\n", onOff(in.SMTPAlert, "yes", "no"))
		fmt.Fprintf(w, "   Notify deleted = %s\n", onOff(in.NotifyDeleted, "Deleted", "Fault"))
		for _, l := range in.NotifyLines {
			fmt.Fprintf(w, "   %s\n", l)
		}
		fmt.Fprintf(w, "   Notify priority changes = %t\n", in.NotifyPrioChanges)
	}
	if len(scripts) == 0 {
		return
	}
	fmt.Fprintln(w, "------< VRRP Scripts >------")
	for _, s := range scripts {
		fmt.Fprintf(w, " VRRP Script = %s\n", s.Name)
		fmt.Fprintf(w, "   Command = %s\n", s.Command)
		fmt.Fprintf(w, "   Interval = %s sec\n", scriptSecs(s.Interval))
		fmt.Fprintf(w, "   Timeout = %s sec\n", scriptSecs(s.Timeout))
		fmt.Fprintf(w, "   Weight = %d%s\n", s.Weight, onOff(s.Reverse, " reverse", ""))
		fmt.Fprintf(w, "   Rise = %d\n   Fall = %d\n   Result = %d\n", s.Rise, s.Fall, s.Result)
		if s.InitState != "" {
			fmt.Fprintf(w, "   Init state = %s\n", s.InitState)
		}
		fmt.Fprintf(w, "   Status = %s\n", onOff(s.Good, "GOOD", "BAD"))
		fmt.Fprintf(w, "   Script uid:gid = %d:%d\n", s.UID, s.GID)
		fmt.Fprintf(w, "   VRRP instances :\n")
		if len(s.Users) > 0 {
			fmt.Fprintf(w, "   Tracking instances :\n")
		}
		for _, u := range s.Users {
			fmt.Fprintf(w, "     %s\n", u)
		}
		fmt.Fprintf(w, "   State = %s\n", onOff(s.Running, "running", "idle"))
	}
}

// advertInterval prints seconds for VRRPv2 and milliseconds for v3, as
// keepalived does.
func advertInterval(version int, d time.Duration) string {
	if version == 2 {
		return fmt.Sprintf("%d sec", d/time.Second)
	}
	return fmt.Sprintf("%d milli-sec", d/time.Millisecond)
}

// scriptSecs is a vrrp_script interval as keepalived 2.4.3 prints it:
// whole seconds, or with milliseconds when there are some.
func scriptSecs(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return fmt.Sprintf("%d.%03d", d/time.Second, d%time.Second/time.Millisecond)
}
