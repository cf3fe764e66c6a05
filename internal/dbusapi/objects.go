package dbusapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/daemon"
)

// exportAll makes the exported objects those of cfg: the Vrrp object,
// one per instance, and the nodes above them (for introspection only).
func (ss *session) exportAll(cfg *conf.Config) {
	vrrpPath := dbus.ObjectPath(ss.base + "/Vrrp")
	want := map[dbus.ObjectPath][]string{vrrpPath: {introspectable, properties, VrrpInterface}}
	objects := map[dbus.ObjectPath]string{}
	order := []dbus.ObjectPath{vrrpPath}
	for _, in := range cfg.VRRPInstances {
		p := InstancePath(ss.base, in, cfg.Global.V243.DBusNoInterfaceName)
		if _, dup := objects[p]; dup {
			ss.log.Info(fmt.Sprintf("An object for instance %s already exists", in.Name))
			continue
		}
		objects[p] = in.Name
		want[p] = []string{introspectable, properties, InstanceInterface}
		order = append(order, p)
	}
	for _, p := range order {
		for q := parent(p); q != ""; q = parent(q) {
			if _, ok := want[q]; !ok {
				want[q] = []string{introspectable}
			}
		}
	}
	ss.omu.Lock()
	conn := ss.conn
	old := ss.exported
	ss.objects, ss.exported, ss.order = objects, want, order
	ss.omu.Unlock()
	for p, ifaces := range old {
		if _, ok := want[p]; !ok {
			for _, i := range ifaces {
				conn.ExportMethodTable(nil, p, i) // not Export: its reflection keeps every method in the binary
			}
		}
	}
	for _, p := range order {
		if _, ok := old[p]; ok && sameIfaces(old[p], want[p]) {
			continue
		}
		ss.exportObject(conn, p, p == vrrpPath)
	}
	for p, ifaces := range want {
		if len(ifaces) == 1 {
			conn.ExportMethodTable(map[string]any{"Introspect": ss.introspectFn(p)}, p, introspectable)
		}
	}
}

func sameIfaces(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// parent is the path above p; "" above "/".
func parent(p dbus.ObjectPath) dbus.ObjectPath {
	if p == "/" {
		return ""
	}
	i := strings.LastIndex(string(p), "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func (ss *session) exportObject(conn *dbus.Conn, p dbus.ObjectPath, isVrrp bool) {
	var err error
	try := func(e error) {
		if err == nil {
			err = e
		}
	}
	try(conn.ExportMethodTable(map[string]any{"Introspect": ss.introspectFn(p)}, p, introspectable))
	try(conn.ExportMethodTable(map[string]any{
		"Get":    func(iface, prop string) (dbus.Variant, *dbus.Error) { return ss.get(p, iface, prop) },
		"GetAll": func(iface string) (map[string]dbus.Variant, *dbus.Error) { return ss.getAll(p, iface) },
		"Set": func(iface, prop string, _ dbus.Variant) *dbus.Error {
			if _, err := ss.get(p, iface, prop); err != nil {
				return err
			}
			return invalidArgs(fmt.Sprintf("Property “%s” is not writable", prop))
		},
	}, p, properties))
	if isVrrp {
		try(conn.ExportMethodTable(map[string]any{
			"PrintData": func() *dbus.Error {
				return ss.request(daemon.RequestData)
			},
			"PrintStats":      func() *dbus.Error { return ss.request(daemon.RequestStats) },
			"PrintStatsClear": func() *dbus.Error { return ss.request(daemon.RequestStatsClear) },
			"ReloadConfig":    func() *dbus.Error { return ss.request(daemon.RequestReload) },
		}, p, VrrpInterface))
	} else {
		try(conn.ExportMethodTable(map[string]any{"SendGarp": func() *dbus.Error { return ss.sendGarp(p) }}, p, InstanceInterface))
	}
	if err != nil {
		ss.log.Info(fmt.Sprintf("Registering DBus object on %s failed: %v", p, err))
	}
}

func (ss *session) unexportAll() {
	ss.omu.Lock()
	conn, old := ss.conn, ss.exported
	ss.objects, ss.exported, ss.order = map[dbus.ObjectPath]string{}, nil, nil
	ss.omu.Unlock()
	for p, ifaces := range old {
		for _, i := range ifaces {
			conn.ExportMethodTable(nil, p, i) // not Export: its reflection keeps every method in the binary
		}
	}
}

func invalidArgs(msg string) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{msg})
}

// get answers Properties.Get as GDBus does for keepalived: the values
// are structs, (s) and (us), wrapped in the variant.
func (ss *session) get(p dbus.ObjectPath, iface, prop string) (dbus.Variant, *dbus.Error) {
	switch {
	case iface != VrrpInterface && iface != InstanceInterface:
		return dbus.Variant{}, invalidArgs(fmt.Sprintf("No such interface “%s”", iface))
	case iface == VrrpInterface || (prop != "Name" && prop != "State"):
		return dbus.Variant{}, invalidArgs(fmt.Sprintf("No such property “%s”", prop))
	}
	name, ok := ss.instanceName(p)
	if !ok {
		return dbus.Variant{}, invalidArgs(fmt.Sprintf("No such interface “%s”", iface))
	}
	for _, in := range ss.host.VRRP.Instances() {
		if in.Name != name {
			continue
		}
		if prop == "Name" {
			return dbus.MakeVariant(struct{ Name string }{in.Name}), nil
		}
		st := uint32(in.State)
		return dbus.MakeVariant(struct {
			State uint32
			Name  string
		}{st, StateString(st)}), nil
	}
	return dbus.Variant{}, invalidArgs(fmt.Sprintf("Instance '%s' not found", strings.TrimPrefix(string(p), ss.base+"/Instance/")))
}

func (ss *session) getAll(p dbus.ObjectPath, iface string) (map[string]dbus.Variant, *dbus.Error) {
	out := map[string]dbus.Variant{}
	if iface == VrrpInterface {
		return out, nil
	}
	for _, prop := range []string{"Name", "State"} {
		v, err := ss.get(p, iface, prop)
		if err != nil {
			return nil, err
		}
		out[prop] = v
	}
	return out, nil
}

// garper is the VRRP subsystem's SendGARP (vrrpsub).
type garper interface {
	SendGARP(ctx context.Context, instance string) (bool, error)
}

func (ss *session) sendGarp(p dbus.ObjectPath) *dbus.Error {
	name, ok := ss.instanceName(p)
	g, can := ss.host.VRRP.(garper)
	notFound := invalidArgs(fmt.Sprintf("Instance '%s' not found", strings.TrimPrefix(string(p), ss.base+"/Instance/")))
	if !ok || !can {
		return notFound
	}
	ss.log.Info(fmt.Sprintf("Sending garps on %s on DBus request", name))
	ctx, cancel := context.WithTimeout(context.Background(), requestWait)
	defer cancel()
	found, err := g.SendGARP(ctx, name)
	if err != nil {
		return dbus.MakeFailedError(err)
	}
	if !found {
		return notFound
	}
	return nil
}

// introspectFn answers Introspect for p in GDBus's layout: the standard
// interfaces and keepalived's for an object, then the nodes below.
func (ss *session) introspectFn(p dbus.ObjectPath) func() (string, *dbus.Error) {
	return func() (string, *dbus.Error) {
		ss.omu.RLock()
		ifaces := ss.exported[p]
		var children []string
		seen := map[string]bool{}
		prefix := string(p) + "/"
		if p == "/" {
			prefix = "/"
		}
		// in registration order, as GDBus lists them
		for _, q := range ss.order {
			if rest, ok := strings.CutPrefix(string(q), prefix); ok && rest != "" {
				c, _, _ := strings.Cut(rest, "/")
				if !seen[c] {
					seen[c] = true
					children = append(children, c)
				}
			}
		}
		ss.omu.RUnlock()
		var b strings.Builder
		b.WriteString(xmlHeader)
		if len(ifaces) > 1 {
			b.WriteString(standardInterfaces)
			switch ifaces[len(ifaces)-1] {
			case VrrpInterface:
				b.WriteString(vrrpInterfaceXML)
			case InstanceInterface:
				b.WriteString(instanceInterfaceXML)
			}
		}
		for _, c := range children {
			fmt.Fprintf(&b, "  <node name=\"%s\"/>\n", c)
		}
		b.WriteString("</node>\n")
		return b.String(), nil
	}
}

// The introspection data, as GDBus 2.74 prints keepalived's objects.
const xmlHeader = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
                      "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<!-- gokeepalived -->
<node>
`

const standardInterfaces = `  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>
`

const vrrpInterfaceXML = `  <interface name="org.keepalived.Vrrp1.Vrrp">
    <method name="PrintData">
    </method>
    <method name="PrintStats">
    </method>
    <method name="PrintStatsClear">
    </method>
    <method name="ReloadConfig">
    </method>
    <signal name="VrrpStarted">
    </signal>
    <signal name="VrrpReloaded">
    </signal>
    <signal name="VrrpStopped">
    </signal>
  </interface>
`

const instanceInterfaceXML = `  <interface name="org.keepalived.Vrrp1.Instance">
    <method name="SendGarp">
    </method>
    <signal name="VrrpStatusChange">
      <arg type="u" name="status">
      </arg>
    </signal>
    <property type="s" name="Name" access="read">
    </property>
    <property type="(us)" name="State" access="read">
    </property>
  </interface>
`
