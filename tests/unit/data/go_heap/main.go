// Writes a Go heap profile (runtime/pprof) with a known leak, for seep's
// unit tests of reading Go's profiles: go run . > ../go_heap.pb.gz
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var kept [][]byte

//go:noinline
func leakyCache(n int) {
	for i := 0; i < n; i++ {
		kept = append(kept, make([]byte, 64<<10))
	}
}

func main() {
	runtime.MemProfileRate = 1
	leakyCache(64)
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(os.Stdout, 0); err != nil {
		panic(err)
	}
}
