package nft

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// dump describes table name in both families structurally, one line
// per table, chain, set (with sorted elements) and rule, so that ours
// and keepalived's can be compared line by line.
func dump(c *nftables.Conn, name string) ([]string, error) {
	var out []string
	for i, f := range families {
		fam := []string{"ip", "ip6"}[i]
		t, err := c.ListTableOfFamily(name, f)
		if err != nil || t == nil {
			continue
		}
		out = append(out, fmt.Sprintf("table %s %s", fam, name))
		chains, err := c.ListChainsOfTableFamily(f)
		if err != nil {
			return nil, err
		}
		for _, ch := range chains {
			if ch.Table.Name != name {
				continue
			}
			l := fmt.Sprintf("chain %s %s", fam, ch.Name)
			if ch.Hooknum != nil {
				l += fmt.Sprintf(" type %s hook %d priority %d policy %d", ch.Type, *ch.Hooknum, *ch.Priority, *ch.Policy)
			}
			out = append(out, l)
			rules, err := c.GetRules(t, ch)
			if err != nil {
				return nil, err
			}
			for _, r := range rules {
				var es []string
				for _, e := range r.Exprs {
					es = append(es, exprString(e))
				}
				out = append(out, fmt.Sprintf("rule %s %s: %s", fam, ch.Name, strings.Join(es, " ")))
			}
		}
		sets, err := c.GetSets(t)
		if err != nil {
			return nil, err
		}
		for _, s := range sets {
			l := fmt.Sprintf("set %s %s key %s/%d", fam, s.Name, s.KeyType.Name, s.KeyType.Bytes)
			if s.IsMap {
				l += fmt.Sprintf(" map %s/%d", s.DataType.Name, s.DataType.Bytes)
			}
			if s.Constant {
				l += " constant"
			}
			els, err := c.GetSetElements(s)
			if err != nil {
				return nil, err
			}
			var ev []string
			for _, e := range els {
				v := hex.EncodeToString(e.Key)
				if len(e.Val) > 0 {
					v += ":" + hex.EncodeToString(e.Val)
				}
				ev = append(ev, v)
			}
			slices.Sort(ev)
			out = append(out, l+" {"+strings.Join(ev, ",")+"}")
		}
	}
	return out, nil
}

func exprString(e expr.Any) string {
	switch e := e.(type) {
	case *expr.Payload:
		return fmt.Sprintf("payload(base=%d,off=%d,len=%d,dreg=%d)", e.Base, e.Offset, e.Len, e.DestRegister)
	case *expr.Meta:
		return fmt.Sprintf("meta(key=%d,reg=%d)", e.Key, e.Register)
	case *expr.Cmp:
		return fmt.Sprintf("cmp(op=%d,reg=%d,%x)", e.Op, e.Register, e.Data)
	case *expr.Bitwise:
		return fmt.Sprintf("bitwise(sreg=%d,dreg=%d,len=%d,mask=%x,xor=%x)", e.SourceRegister, e.DestRegister, e.Len, e.Mask, e.Xor)
	case *expr.Lookup:
		return fmt.Sprintf("lookup(%s,sreg=%d,dreg=%d,inv=%v)", e.SetName, e.SourceRegister, e.DestRegister, e.Invert)
	case *expr.Dup:
		return fmt.Sprintf("dup(addr=%d,dev=%d)", e.RegAddr, e.RegDev)
	case *expr.Counter:
		return "counter"
	case *expr.Verdict:
		if e.Chain != "" {
			return fmt.Sprintf("verdict(%d,%s)", e.Kind, e.Chain)
		}
		return fmt.Sprintf("verdict(%d)", e.Kind)
	}
	return fmt.Sprintf("%T", e)
}
