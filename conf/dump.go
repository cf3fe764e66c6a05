package conf

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"time"
)

// WriteJSON writes the resolved model as indented JSON (--dump-json).
func WriteJSON(w io.Writer, c *Config) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// Dump writes the resolved model as indented "name = value" lines, in the
// spirit of keepalived's --dump-conf: every field, defaults included, named
// as in the JSON dump.
func Dump(w io.Writer, c *Config) {
	dumpValue(w, 0, "", reflect.ValueOf(c).Elem())
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	addrType     = reflect.TypeOf(netip.Addr{})
	prefixType   = reflect.TypeOf(netip.Prefix{})
)

func dumpValue(w io.Writer, depth int, name string, v reflect.Value) {
	ind := strings.Repeat(" ", depth)
	switch {
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return
		}
		dumpValue(w, depth, name, v.Elem())
		return
	case v.Type() == durationType:
		fmt.Fprintf(w, "%s%s = %s\n", ind, name, fmtSeconds(time.Duration(v.Int())))
		return
	case v.Type() == addrType || v.Type() == prefixType:
		if s := fmt.Sprint(v.Interface()); s != "invalid IP" && s != "invalid Prefix" {
			fmt.Fprintf(w, "%s%s = %s\n", ind, name, s)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		// Fields first, so a struct with nothing to show prints no header.
		var body strings.Builder
		inner := depth
		if name != "" {
			inner++
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			if !f.IsExported() || tag == "-" {
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			dumpValue(&body, inner, tag, v.Field(i))
		}
		if body.Len() > 0 && name != "" {
			fmt.Fprintf(w, "%s%s:\n", ind, name)
		}
		io.WriteString(w, body.String())
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			return
		}
		if k := v.Type().Elem().Kind(); k != reflect.Struct && k != reflect.Pointer && k != reflect.Slice {
			parts := make([]string, v.Len())
			for i := range parts {
				parts[i] = fmt.Sprint(v.Index(i).Interface())
			}
			fmt.Fprintf(w, "%s%s = %s\n", ind, name, strings.Join(parts, " "))
			return
		}
		for i := 0; i < v.Len(); i++ {
			dumpValue(w, depth, fmt.Sprintf("%s[%d]", name, i), v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 {
			return
		}
		fmt.Fprintf(w, "%s%s = %v\n", ind, name, v.Interface())
	default:
		if v.IsZero() && v.Kind() != reflect.Bool {
			return
		}
		fmt.Fprintf(w, "%s%s = %v\n", ind, name, v.Interface())
	}
}
