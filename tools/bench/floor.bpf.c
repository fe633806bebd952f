// SPDX-License-Identifier: GPL-2.0
/* floor: empty uprobe and uretprobe programs. Attached to an allocator's
 * functions they measure what the kernel's trap alone costs per call: the
 * floor under any tracer that probes every call. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("uprobe")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_exit(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
