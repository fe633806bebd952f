module seep/go_heap

go 1.19
