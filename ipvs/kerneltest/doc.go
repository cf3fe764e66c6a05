// Package kerneltest holds the real-kernel IPVS suite: its tests program
// the kernel with the ipvs client and the reconciler and compare the
// result with Debian's ipvsadm, line by line.
//
// They run inside the qemu rig (`make vmtest`, scripts/vm), which sets
// GOKEEPALIVED_VM=1; there a missing IPVS is a failure, never a skip. On
// any other host they skip, because they flush the IPVS table: set
// GOKEEPALIVED_KERNELTEST=1 to run them on a disposable host that has IPVS.
package kerneltest
