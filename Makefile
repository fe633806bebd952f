# seep — one top-level Makefile.
#   make            build build/seep
#   make test       set up, build, run every test suite (unit, bpf, e2e)
#   make check      static checks (cppcheck) + unit tests
#   make demo       set up, build, trace the bundled leaking demo program
#   make bench      set up, build, run the overhead benchmark (tools/bench)
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel
#   V=1             verbose commands

ARCH    ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool

ifeq ($(V),1)
  Q =
  msg =
else
  Q = @
  msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

PKGS     := libbpf libelf libdw jansson zlib cairo libprotobuf-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD)/include -I$(BUILD)/gen
DEPFLAGS  = -MMD -MP
LDLIBS   += $(PKG_LIBS) -lZydis -lstdc++ -lm -lpthread

# --- BPF -------------------------------------------------------------------
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/include/%.skel.h,$(BPF_SRCS))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ivmlinux/$(ARCH) \
              -Wall -Werror -Wno-unused-function

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/include
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# --- the program -------------------------------------------------------------
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# The pprof schema (user/*.proto), compiled to C by protoc-c into $(BUILD)/gen.
PROTOS    := $(wildcard user/*.proto)
PROTO_HS  := $(patsubst user/%.proto,$(BUILD)/gen/%.pb-c.h,$(PROTOS))
PROTO_OBJS := $(patsubst user/%.proto,$(BUILD)/gen/%.pb-c.o,$(PROTOS))
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS)) $(PROTO_OBJS)
LIBSEEP   := $(BUILD)/libseep.a
SEEP      := $(BUILD)/seep

all: $(SEEP)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: user/%.proto | $(BUILD)/gen
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --c_out=$(BUILD)/gen -Iuser $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/user/%.o: user/%.c | $(BUILD)/user $(SKELS) $(PROTO_HS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(LIBSEEP): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SEEP): $(BUILD)/user/main.o $(LIBSEEP)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# --- tests -------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
E2E_SRCS  := $(wildcard tests/e2e/test_*.c)
UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPFT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
E2E_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(E2E_SRCS))
TEST_HELPERS := $(wildcard tests/lib/*.c)
TEST_HELPER_OBJS := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_HELPERS))

# Targets: programs with known allocation behaviour. Built like a frame-pointer
# build (this issue); *_nofp targets are built the way distributions build.
TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGET_BINS := $(patsubst tests/targets/%.c,$(BUILD)/tests/targets/%,$(filter-out tests/targets/lib%,$(TARGET_SRCS))) \
               $(patsubst tests/targets/%.cpp,$(BUILD)/tests/targets/%,$(wildcard tests/targets/*.cpp)) \
               $(BUILD)/tests/targets/nofp_helper_stripped $(BUILD)/tests/targets/static_helper
TARGET_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-builtin -fno-optimize-sibling-calls -pthread

$(BUILD)/tests/targets/%: tests/targets/%.c | $(BUILD)/tests/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(TARGET_CFLAGS) -o $@ $< -lpthread

# Built the way distributions build: optimised, no frame pointers.
NOFP_CFLAGS := -O2 -g -fomit-frame-pointer -pthread
T := $(BUILD)/tests/targets

$(T)/nofp_%: tests/targets/nofp_%.c tests/targets/target.h | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -o $@ $<

$(T)/libseepleak.so: tests/targets/libseepleak.c | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -fPIC -shared -o $@ $<

$(T)/nofp_sharedlib: tests/targets/nofp_sharedlib.c $(T)/libseepleak.so | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -o $@ $< -L$(T) -lseepleak -Wl,-rpath,'$$ORIGIN'

$(T)/nofp_cpp: tests/targets/nofp_cpp.cpp tests/targets/target.h | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CXX) $(NOFP_CFLAGS) -o $@ $<

# Statically linked: the allocator is found in the executable's .symtab.
$(T)/static_helper: tests/targets/nofp_helper.c tests/targets/target.h | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -static -o $@ $<

# A stripped copy: no symbol tables, same code and build ID.
$(T)/nofp_helper_stripped: $(T)/nofp_helper
	$(call msg,STRIP,$@)
	$(Q)strip -o $@ $<

# No C library, no allocator: the "no allocator found" case.
$(BUILD)/tests/targets/noalloc: tests/targets/noalloc.c | $(BUILD)/tests/targets
	$(call msg,TARGET,$@)
	$(Q)$(CC) -O1 -static -nostdlib -s -o $@ $<

$(BUILD)/tests/lib/%.o: tests/lib/%.c | $(BUILD)/tests/lib $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(LIBSEEP) $(TEST_HELPER_OBJS) | $(SKELS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) \
	  -DSEEP_BUILD_DIR='"$(abspath $(BUILD))"' -DSEEP_SRC_DIR='"$(abspath .)"' \
	  -o $@ $< $(TEST_HELPER_OBJS) $(LIBSEEP) -lcriterion $(LDLIBS)

tests: $(UNIT_BINS) $(BPFT_BINS) $(E2E_BINS) $(TARGET_BINS) $(SEEP)

setup:
	$(Q)tools/setup.sh

# The suite: unit (no root), bpf (root, real probes), e2e (the CLI end to end).
test: setup
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tools/run-tests.sh $(UNIT_BINS) -- $(BPFT_BINS) -- $(E2E_BINS)

unit: $(UNIT_BINS) $(TARGET_BINS)
	$(Q)tools/run-tests.sh $(UNIT_BINS)

check: $(UNIT_BINS) $(TARGET_BINS)
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --suppress=missingIncludeSystem --inline-suppr -D_GNU_SOURCE -Iinclude -Iuser user
	$(Q)tools/run-tests.sh $(UNIT_BINS)

demo: setup
	$(Q)$(MAKE) --no-print-directory $(SEEP) $(BUILD)/tests/targets/leaky_server
	$(Q)tools/demo.sh $(SEEP) $(BUILD)/tests/targets/leaky_server

# The price of each way of taking stacks (tools/bench-unwind.md).
bench-unwind: setup $(SEEP) $(BUILD)/tests/targets/nofp_helper $(BUILD)/tests/targets/nofp_recursion
	$(Q)tools/bench-unwind.sh $(SEEP) $(BUILD)/tests/targets

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(BUILD)

$(BUILD)/bpf $(BUILD)/include $(BUILD)/user $(BUILD)/gen $(BUILD)/tests/targets $(BUILD)/tests/lib:
	$(Q)mkdir -p $@

.PHONY: all tests setup test unit check demo vmlinux clean bench-unwind

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*.d $(BUILD)/gen/*.d $(BUILD)/tests/*/*.d)

# --- detect ------------------------------------------------------------------
#   make eval-detect   labelled evaluation of the leak detectors (tools/eval-detect.md)
#   make bench-detect  time per 5-day series and series per second, one core
DETECT_DATA ?= $(abspath ../shared/data/alibaba-mem)
EVAL_DETECT := $(BUILD)/tools/eval_detect

$(EVAL_DETECT): tools/eval_detect.c $(LIBSEEP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -o $@ $< $(LIBSEEP) $(LDLIBS)

eval-detect: $(EVAL_DETECT) $(SEEP)
	$(Q)tools/eval-detect.sh eval $(EVAL_DETECT) $(DETECT_DATA)

bench-detect: $(EVAL_DETECT)
	$(Q)tools/eval-detect.sh bench $(EVAL_DETECT) $(DETECT_DATA)

# the end-to-end unit test runs the built program
$(BUILD)/tests/unit/test_cli_detect: $(SEEP)

.PHONY: eval-detect bench-detect
-include $(wildcard $(BUILD)/tools/*.d)

# --- contrast ------------------------------------------------------------------
# bench-contrast: CONAN on a generated data set of 10^8 instances (aggregated
# rows with counts): time and peak memory, and the meta-heuristic's best
# pattern against the exhaustive search up to length 3.
CONTRAST_GEN := $(BUILD)/tools/contrast-gen

$(CONTRAST_GEN): tools/contrast-gen.c $(BUILD)/tests/lib/contrast_gen.o $(LIBSEEP)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(WARN) -o $@ $^

# The end-to-end test runs the built program.
$(BUILD)/tests/e2e/test_contrast: $(SEEP)

bench-contrast: $(SEEP) $(CONTRAST_GEN)
	$(Q)tools/bench-contrast.sh $(SEEP) $(CONTRAST_GEN) $(BUILD)/bench

.PHONY: bench-contrast

# --- bench -------------------------------------------------------------------
# make bench: seep's overhead against its peers (tools/bench/bench.py): a
# malloc/free microbenchmark and redis-server (glibc malloc, built from
# Debian's source package, and Debian's jemalloc build) under each tool.
# Prints the table and writes tools/bench/RESULTS.md. Root; ~15 minutes.
BENCH_DIR  := $(BUILD)/bench
BENCH_BINS := $(BENCH_DIR)/mallocbench $(BENCH_DIR)/floor $(BENCH_DIR)/redis-server-glibc
BENCH_ARGS ?=

$(BENCH_DIR):
	$(Q)mkdir -p $@

$(BENCH_DIR)/mallocbench: tools/bench/mallocbench.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-builtin $(WARN) -o $@ $<

$(BENCH_DIR)/floor.bpf.o: tools/bench/floor.bpf.c | $(BENCH_DIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_DIR)/floor.skel.h: $(BENCH_DIR)/floor.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BENCH_DIR)/floor: tools/bench/floor.c $(BENCH_DIR)/floor.skel.h $(LIBSEEP)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -I$(BENCH_DIR) -o $@ $< $(LIBSEEP) $(LDLIBS)

$(BENCH_DIR)/redis-server-glibc: tools/bench/build-redis.sh | $(BENCH_DIR)
	$(call msg,REDIS,$@)
	$(Q)tools/bench/build-redis.sh $(BENCH_DIR)

bench:
	$(Q)tools/setup.sh bench
	$(Q)$(MAKE) --no-print-directory $(SEEP) $(BENCH_BINS)
	$(Q)tools/bench/bench.py $(BENCH_ARGS)

.PHONY: bench
