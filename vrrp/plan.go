package vrrp

// Change says what a reload does to one instance.
type Change string

// Changes a reload makes to an instance.
const (
	Kept    Change = "keep"    // matched by Key: reconfigured in place, state kept
	Added   Change = "add"     // new: started as at start-up
	Removed Change = "remove"  // no match: stopped as at shutdown
	Rebuilt Change = "rebuild" // VRRP version changed: stopped, then started as new
)

// InstancePlan is what Reload would do to one instance.
type InstancePlan struct {
	Change  Change `json:"change"`
	Name    string `json:"name"`               // the new config's name (the old one when removed)
	OldName string `json:"old_name,omitempty"` // when a kept instance was renamed
	Key     Key    `json:"-"`
	VRID    uint8  `json:"vrid"`
	Iface   string `json:"interface"`
	// State is the running instance's state; empty for added ones.
	State       string `json:"state,omitempty"`
	OldPriority uint8  `json:"old_priority,omitempty"`
	Priority    uint8  `json:"priority,omitempty"`
	// VIPsAdded and VIPsRemoved are a kept instance's address changes
	// (set on the interface at once only while it is MASTER).
	VIPsAdded   []VIP `json:"vips_added,omitempty"`
	VIPsRemoved []VIP `json:"vips_removed,omitempty"`
}
