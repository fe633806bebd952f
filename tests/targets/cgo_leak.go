// A Go program that leaks through cgo: N blocks of 1000 bytes from C's
// malloc, called from Go, then sleeps S seconds. Built at test time by
// tests/e2e/test_stacks_e2e.c with `go build` (skipped where go is absent).
// usage: cgo_leak N S
package main

/*
#include <stdlib.h>
static void *c_leak(size_t n) { return malloc(n); }
*/
import "C"

import (
	"os"
	"strconv"
	"time"
	"unsafe"
)

var keep []unsafe.Pointer

//go:noinline
func goLeak(n int) {
	for i := 0; i < n; i++ {
		keep = append(keep, C.c_leak(1000))
	}
}

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	s, _ := strconv.ParseFloat(os.Args[2], 64)
	goLeak(n)
	time.Sleep(time.Duration(s * float64(time.Second)))
}
