package conf

import "github.com/gokeepalived/gokeepalived/conf/internal/syntax"

// MaxDiagsForTest is the syntax layer's message limit.
const MaxDiagsForTest = syntax.MaxDiags
