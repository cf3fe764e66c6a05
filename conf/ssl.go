package conf

import "github.com/gokeepalived/gokeepalived/conf/internal/syntax"

// decodeSSL decodes the top-level SSL block (ssl_handler and friends).
func decodeSSL(d *decoder, s *syntax.Stmt) {
	if d.cfg.SSL != nil {
		d.errorf(s, 0, "SSL context already specified - replacing")
	}
	c := &SSLConfig{Pos: s.Pos()}
	d.cfg.SSL = c
	file := func(dst *string, what string) handler {
		return func(d *decoder, s *syntax.Stmt) {
			if len(s.Words) < 2 {
				d.errorf(s, 0, "SSL %s missing", what)
				return
			}
			if *dst != "" {
				d.errorf(s, 1, "SSL %s already specified - replacing", what)
			}
			*dst = s.Words[1].Text
		}
	}
	d.walk("SSL", s.Block, table{
		"password":    {fn: file(&c.Password, "password")},
		"ca":          {fn: file(&c.CA, "cafile")},
		"certificate": {fn: file(&c.Certificate, "certfile")},
		"key":         {fn: file(&c.Key, "keyfile")},
	})
}
