package conf

import "github.com/gokeepalived/gokeepalived/conf/internal/syntax"

// decodeSSL decodes the top-level SSL block (ssl_handler and friends).
func decodeSSL(d *decoder, s *syntax.Stmt) {
	if d.cfg.SSL != nil {
		d.errorf(s, 0, "SSL context already specified - replacing")
	}
	c := &SSLConfig{Pos: s.Pos()}
	d.cfg.SSL = c
	d.walk("SSL", s.Block, boundKeywords{sslTable, c})
}

// sslTable decodes the SSL block:
//
//	password PASSWORD
//	ca|certificate|key FILE
var sslTable = table{
	"password":    sslFileKw("password", func(c *SSLConfig) *string { return &c.Password }),
	"ca":          sslFileKw("cafile", func(c *SSLConfig) *string { return &c.CA }),
	"certificate": sslFileKw("certfile", func(c *SSLConfig) *string { return &c.Certificate }),
	"key":         sslFileKw("keyfile", func(c *SSLConfig) *string { return &c.Key }),
}

// sslFileKw is an SSL keyword naming a file (or the password).
func sslFileKw(what string, dst func(c *SSLConfig) *string) kw {
	return objKw(func(d *decoder, c *SSLConfig, s *syntax.Stmt) {
		if len(s.Words) < 2 {
			d.errorf(s, 0, "SSL %s missing", what)
			return
		}
		if !d.opt.Compat.AtLeast(2, 2, 8) {
			if *dst(c) != "" {
				d.errorf(s, 1, "SSL %s already specified - replacing", what)
			}
			*dst(c) = s.Words[1].Text
			return
		}
		d.setString(dst(c), s, "SSL")
	})
}
