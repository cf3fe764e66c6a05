package conf

import (
	"io"
	"os"
	"strings"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
)

// AuthHMAC is a vrrp_instance's auth_hmac block (keepalived 2.4.2+): adverts
// carry an HMAC-SHA256-128 trailer and a time based sequence number.
type AuthHMAC struct {
	// Keys in the order given; a key's bytes never appear in a dump.
	Keys      []HMACKey `json:"keys"`
	ActiveKey uint8     `json:"active_key"`
	// Mode is enforce, permissive or receive-only.
	Mode string `json:"mode"`
	// AntiReplayTime: anti_replay time (the default), else monotonic.
	AntiReplayTime bool `json:"anti_replay_time"`
	// TimeWindow in seconds; derived from advert_int when not given.
	TimeWindow int `json:"time_window"`
}

// HMACKey is one auth_hmac key.
type HMACKey struct {
	ID  uint8  `json:"id"`
	Key []byte `json:"-"`
}

// Key returns the key with id, or nil.
func (a *AuthHMAC) Key(id uint8) []byte {
	for _, k := range a.Keys {
		if k.ID == id {
			return k.Key
		}
	}
	return nil
}

const (
	hmacKeyMin, hmacKeyMax       = 32, 64
	hmacWindowMin, hmacWindowMax = 1, 300
	hmacWindowFloor              = 5
	// hmacFileBuf is keepalived's read buffer: "hex:", 128 digits, slack.
	hmacFileBuf = 4 + hmacKeyMax*2 + 8
)

var authHMACTable table

func init() {
	authHMACTable = table{
		"key":        objKw(decodeHMACKey),
		"active_key": objKw(decodeHMACActiveKey),
		"time_window": objKw(func(d *decoder, v *VRRPInstance, s *syntax.Stmt) {
			if n, ok := d.hmacNumber(s, v, hmacWindowMin, hmacWindowMax,
				"(%s) auth_hmac time_window '%s' must be between 1 and 300 seconds"); ok {
				v.AuthHMAC.TimeWindow = int(n)
			}
		}),
		"anti_replay": objKw(func(d *decoder, v *VRRPInstance, s *syntax.Stmt) {
			str, ok := d.arg(s, 1)
			switch {
			case !ok:
			case str == "time":
				v.AuthHMAC.AntiReplayTime = true
			case str == "monotonic":
				v.AuthHMAC.AntiReplayTime = false
			default:
				d.errorf(s, 1, "(%s) auth_hmac anti_replay '%s' must be time or monotonic", v.Name, str)
			}
		}),
		"mode": objKw(func(d *decoder, v *VRRPInstance, s *syntax.Stmt) {
			str, ok := d.arg(s, 1)
			if !ok {
				return
			}
			switch str {
			case "enforce", "permissive", "receive-only":
				v.AuthHMAC.Mode = str
			default:
				d.errorf(s, 1, "(%s) auth_hmac mode '%s' must be enforce, permissive or receive-only", v.Name, str)
			}
		}),
	}
}

// decodeAuthHMAC decodes a vrrp_instance's auth_hmac block (a second
// block adds to the first):
//
//	auth_hmac {
//		key ID hex:HEX|ASCII|file:PATH
//		active_key ID
//		anti_replay time|monotonic
//		time_window 1..300
//		mode enforce|permissive|receive-only
//	}
func decodeAuthHMAC(d *decoder, v *VRRPInstance, c *syntax.Stmt) {
	if v.AuthHMAC == nil {
		v.AuthHMAC = &AuthHMAC{Mode: "enforce", AntiReplayTime: true}
	}
	d.walk("auth_hmac", c.Block, boundKeywords{authHMACTable, v})
}

// hmacNumber is read_unsigned_strvec followed by auth_hmac's own message.
func (d *decoder) hmacNumber(s *syntax.Stmt, v *VRRPInstance, lo, hi uint64, msg string) (uint64, bool) {
	str, ok := d.arg(s, 1)
	if !ok {
		return 0, false
	}
	n, ok := d.readUnsignedStr(s.WordPos(1), str, lo, hi)
	if !ok {
		d.errorf(s, 1, msg, v.Name, str)
	}
	return n, ok
}

func decodeHMACActiveKey(d *decoder, v *VRRPInstance, s *syntax.Stmt) {
	if n, ok := d.hmacNumber(s, v, 1, 255, "(%s) auth_hmac active_key '%s' must be between 1 and 255"); ok {
		v.AuthHMAC.ActiveKey = uint8(n)
	}
}

func decodeHMACKey(d *decoder, v *VRRPInstance, s *syntax.Stmt) {
	if len(s.Words) < 3 {
		d.errorf(s, 0, "(%s) auth_hmac key needs an id and a value", v.Name)
		return
	}
	id, ok := d.hmacNumber(s, v, 1, 255, "(%s) auth_hmac key id '%s' must be between 1 and 255")
	if !ok {
		return
	}
	str := s.Words[2].Text
	var key []byte
	if path, ok := strings.CutPrefix(str, "file:"); ok {
		key = d.hmacKeyFile(s, v, path)
	} else {
		key = hmacKeyValue(str)
	}
	switch {
	case len(key) < hmacKeyMin || len(key) > hmacKeyMax:
		// A lost key is a loss: a reload onto it is refused (a peer still
		// signing with it would be dropped).
		d.lose(s.WordPos(2), syntax.GeneralError, "(%s) auth_hmac key %d length %d not in range [%d, %d]", v.Name, id, len(key), hmacKeyMin, hmacKeyMax)
	case v.AuthHMAC.Key(uint8(id)) != nil:
		d.errorf(s, 1, "(%s) duplicate auth_hmac key id %d", v.Name, id)
	default:
		v.AuthHMAC.Keys = append(v.AuthHMAC.Keys, HMACKey{ID: uint8(id), Key: key})
	}
}

// hmacKeyValue decodes a key: hex: bytes (none if not hex), else ASCII.
func hmacKeyValue(str string) []byte {
	if h, ok := strings.CutPrefix(str, "hex:"); ok {
		data, _, _ := readHexStr(h, false)
		return data
	}
	return []byte(str)
}

// hmacKeyFile reads a key kept out of the configuration (a systemd
// credential, say): the file holds what the inline value would, a final
// line end dropped. Access by group or others is a security error.
func (d *decoder) hmacKeyFile(s *syntax.Stmt, v *VRRPInstance, path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		d.errorf(s, 2, "(%s) auth_hmac key file '%s' cannot be opened", v.Name, path)
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		d.add(s.WordPos(2), syntax.SecurityError, "(%s) auth_hmac key file '%s' is readable by group or others", v.Name, path)
	}
	buf, err := io.ReadAll(io.LimitReader(f, hmacFileBuf))
	if err != nil || len(buf) >= hmacFileBuf-1 {
		d.errorf(s, 2, "(%s) auth_hmac key file '%s' is too large", v.Name, path)
		return nil
	}
	return hmacKeyValue(strings.TrimRight(string(buf), "\r\n"))
}

// instanceAuthHMAC is vrrp_complete_instance's auth_hmac checks, after the
// legacy authentication's.
func (d *decoder) instanceAuthHMAC(v *VRRPInstance, strict bool) {
	a := v.AuthHMAC
	if a == nil {
		return
	}
	if v.AuthType != "" {
		d.gerr(v.Pos, "(%s) auth_hmac cannot be combined with authentication, dropping legacy auth", v.Name)
		v.AuthType, v.AuthPass = "", ""
	}
	if a.Key(a.ActiveKey) == nil {
		d.lose(v.Pos, syntax.GeneralError, "(%s) auth_hmac active_key %d is not defined, disabling extension", v.Name, a.ActiveKey)
		v.AuthHMAC = nil
		return
	}
	if strict && a.Mode != "enforce" {
		d.gerr(v.Pos, "(%s) strict mode requires auth_hmac mode enforce", v.Name)
		a.Mode = "enforce"
	}
	if a.AntiReplayTime && a.TimeWindow == 0 {
		us := v.advertRaw // as parsed, before advertInt's rounding
		if us == 0 {
			us = timerHz
		}
		a.TimeWindow = min(max(3*int(us/timerHz), hmacWindowFloor), hmacWindowMax)
	}
}
