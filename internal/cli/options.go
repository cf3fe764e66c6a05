// Package cli parses keepalived's command line: getopt_long semantics with
// short option clusters, required and optional arguments; and holds
// gokeepalived's --help text.
package cli

import (
	"fmt"
	"strings"
)

// ArgKind says whether an option takes an argument.
type ArgKind int

const (
	NoArg       ArgKind = iota
	RequiredArg         // -f FILE, -fFILE, --use-file FILE, --use-file=FILE
	OptionalArg         // -tFILE, --config-test=FILE only (getopt's :: rule)
)

// Spec describes one option.
type Spec struct {
	Short byte   // 0 when there is none
	Long  string // without the dashes
	Arg   ArgKind
}

// Opt is one option as given on the command line.
type Opt struct {
	Spec  *Spec
	Name  string // as written, e.g. "-f" or "--use-file", for messages
	Value string
	Has   bool // an optional argument was given
}

// Parse splits args (without the program name) into options and operands,
// in order, as getopt_long does with permutation.
func Parse(specs []Spec, args []string) ([]Opt, []string, error) {
	var opts []Opt
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(rest, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			sp := findLong(specs, name)
			if sp == nil {
				return nil, nil, fmt.Errorf("Unknown option --%s", name)
			}
			o := Opt{Spec: sp, Name: "--" + sp.Long}
			switch sp.Arg {
			case NoArg:
				if hasVal {
					return nil, nil, fmt.Errorf("option --%s doesn't allow an argument", sp.Long)
				}
			case RequiredArg:
				if !hasVal {
					if i+1 >= len(args) {
						return nil, nil, fmt.Errorf("Missing parameter for option --%s", sp.Long)
					}
					i++
					val = args[i]
				}
				if val == "" {
					return nil, nil, fmt.Errorf("Missing parameter for option --%s", sp.Long)
				}
				o.Value, o.Has = val, true
			case OptionalArg:
				o.Value, o.Has = val, hasVal && val != ""
			}
			opts = append(opts, o)
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				sp := findShort(specs, a[j])
				if sp == nil {
					return nil, nil, fmt.Errorf("Unknown option -%c", a[j])
				}
				o := Opt{Spec: sp, Name: "-" + string(a[j])}
				if sp.Arg == NoArg {
					opts = append(opts, o)
					continue
				}
				val := a[j+1:]
				if val == "" && sp.Arg == RequiredArg {
					if i+1 >= len(args) {
						return nil, nil, fmt.Errorf("Missing parameter for option -%c", a[j])
					}
					i++
					val = args[i]
					if val == "" {
						return nil, nil, fmt.Errorf("Missing parameter for option -%c", a[j])
					}
				}
				o.Value, o.Has = val, val != ""
				opts = append(opts, o)
				break
			}
		default:
			rest = append(rest, a)
		}
	}
	return opts, rest, nil
}

func findLong(specs []Spec, name string) *Spec {
	for i := range specs {
		if specs[i].Long == name {
			return &specs[i]
		}
	}
	return nil
}

func findShort(specs []Spec, c byte) *Spec {
	for i := range specs {
		if specs[i].Short == c && c != 0 {
			return &specs[i]
		}
	}
	return nil
}
