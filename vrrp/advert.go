package vrrp

import (
	"time"

	"github.com/gokeepalived/gokeepalived/vrrp/packet"
)

// Advert builds the advert an instance sends with priority prio.
func Advert(c *Config, prio uint8) packet.Advert {
	a := packet.Advert{Version: c.Version, Type: packet.TypeAdvert, VRID: c.VRID, Priority: prio,
		CountAddrs: uint8(len(c.VIPs)), Addrs: c.VIPs}
	if c.Version == 3 {
		a.AdverInt = uint16(c.AdverInt / (10 * time.Millisecond))
	} else {
		a.AdverInt = uint16(c.AdverInt / time.Second)
		a.AuthType = c.AuthType
		if c.AuthType == packet.AuthPass {
			a.AuthData = packet.PassKey(c.AuthPass)
		}
	}
	return a
}
