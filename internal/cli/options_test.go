package cli

import (
	"strings"
	"testing"
)

var specs = []Spec{
	{Short: 'f', Long: "use-file", Arg: RequiredArg},
	{Short: 't', Long: "config-test", Arg: OptionalArg},
	{Short: 'n', Long: "dont-fork"},
	{Short: 'l', Long: "log-console"},
	{Long: "dump-json"},
}

func render(opts []Opt) string {
	var b []string
	for _, o := range opts {
		s := o.Name
		if o.Has {
			s += "=" + o.Value
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

func TestParse(t *testing.T) {
	cases := []struct{ in, want, rest, err string }{
		{in: "-f a.conf -t", want: "-f=a.conf -t"},
		{in: "-fa.conf", want: "-f=a.conf"}, // glued argument
		{in: "--use-file=a --use-file b", want: "--use-file=a --use-file=b"},
		{in: "-nlt", want: "-n -l -t"},
		{in: "-tout.txt", want: "-t=out.txt"},
		{in: "-t out.txt", want: "-t", rest: "out.txt"}, // optional args must be glued
		{in: "--config-test=x", want: "--config-test=x"},
		{in: "--config-test x", want: "--config-test", rest: "x"},
		{in: "-n extra -l", want: "-n -l", rest: "extra"},
		{in: "-- -n", rest: "-n"},
		{in: "--dump-json", want: "--dump-json"},
		{in: "-x", err: "Unknown option -x"},
		{in: "--bogus", err: "Unknown option --bogus"},
		{in: "-f", err: "Missing parameter for option -f"},
		{in: "--use-file=", err: "Missing parameter for option --use-file"},
		{in: "--dont-fork=1", err: "doesn't allow an argument"},
	}
	for _, c := range cases {
		opts, rest, err := Parse(specs, strings.Fields(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := render(opts); got != c.want {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
		if got := strings.Join(rest, " "); got != c.rest {
			t.Errorf("%q: rest %q want %q", c.in, got, c.rest)
		}
	}
}
