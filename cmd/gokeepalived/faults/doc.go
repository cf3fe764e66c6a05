// Package faults is the fault suite (make faults): each test puts the
// real gokeepalived binary, in network namespaces it creates, through one
// thing peers, operators or the kernel do to it in the field, asserts the
// bound, and records one figure line. TestMain prints the table.
package faults
