# seep — one top-level Makefile.
#   make            build build/seep
#   make test       set up, build, run every test suite (unit, bpf, e2e)
#   make check      static checks (cppcheck) + unit tests, then the unit and
#                   e2e suites again under ASan+UBSan (build-asan/; root)
#   make check-asan-e2e  only the e2e suites under ASan+UBSan (root)
#   make fuzz       every libFuzzer harness (tests/fuzz/) for FUZZ_SECONDS each
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

# libcurl: seep fleet's TSDB client and remote_write; snappy: remote_write
PKGS     := libbpf libelf libdw jansson zlib libdeflate cairo libprotobuf-c sqlite3 inih libmicrohttpd libsystemd libcurl snappy
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# cairo is compiled against but not linked: user/lib/cairo_dl loads
# libcairo at the first drawing call, so runs that draw nothing do not load
# its ~50 shared libraries.
LINK_PKGS := $(filter-out cairo,$(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS))

WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
# SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer (use a BUILD of
# its own: `make check` uses build-asan). UBSan findings are fatal.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ifeq ($(SANITIZE),1)
  override CFLAGS += $(SAN_FLAGS)
endif
# FUZZ=1 (with CC=clang): coverage for libFuzzer in every object (make fuzz).
ifeq ($(FUZZ),1)
  override CFLAGS += -fsanitize=fuzzer-no-link
endif
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
# user/ is folders by layer (user/LAYERS). The analysis layers build into
# libseep-core.a, which links without libbpf (the unit tests link only it);
# the layers that may use libbpf, and the commands, into libseep.a; main.o
# and both libraries make the program.
# Core layers: neither [libbpf] nor allowed to include one that is (the
# table lists each layer after the ones it may include).
CORE_LAYERS := $(shell awk -F: '/^[a-z_]+:/ { top = ($$2 ~ /\[libbpf\]/); \
	n = split($$2, w, " "); for (i = 1; i <= n; i++) if (w[i] in bpf) top = 1; \
	if (top) bpf[$$1] = 1; else print $$1 }' user/LAYERS)
USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# The pprof schema (user/snapshot/*.proto), compiled to C by protoc-c into
# $(BUILD)/gen/snapshot (included as "snapshot/profile.pb-c.h").
PROTOS    := $(wildcard user/*/*.proto)
PROTO_HS  := $(patsubst user/%.proto,$(BUILD)/gen/%.pb-c.h,$(PROTOS))
PROTO_OBJS := $(patsubst user/%.proto,$(BUILD)/gen/%.pb-c.o,$(PROTOS))
CORE_OBJS := $(filter $(foreach l,$(CORE_LAYERS),$(BUILD)/user/$(l)/%),$(USER_OBJS)) $(PROTO_OBJS)
MAIN_OBJ  := $(BUILD)/user/cli/main.o
LAUNCHER_OBJ := $(BUILD)/user/cli/launcher.o
TOP_OBJS  := $(filter-out $(CORE_OBJS) $(MAIN_OBJ) $(LAUNCHER_OBJ),$(USER_OBJS))
LIBCORE   := $(BUILD)/libseep-core.a
LIBSEEP   := $(BUILD)/libseep.a
# build/seep is the launcher (user/cli/launcher.c): `seep detect` in
# process over the core library, every other command exec's the full
# program, build/libexec/seep/seep (installed as PREFIX/libexec/seep/seep).
SEEP      := $(BUILD)/seep
SEEP_FULL := $(BUILD)/libexec/seep/seep
LAUNCHER_OBJS := $(LAUNCHER_OBJ) $(BUILD)/user/cli/cmd_detect.o $(BUILD)/user/cli/cli.o
# What the core links against: no libbpf.
CORE_PKGS := $(filter-out libbpf,$(PKGS))
CORE_LIBS  = $(shell pkg-config --libs $(filter-out cairo,$(CORE_PKGS))) -lZydis -lstdc++ -lm -lpthread

all: $(SEEP) $(SEEP_FULL)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: user/%.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)protoc-c --c_out=$(dir $@) -I$(dir $<) $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/user/%.o: user/%.c | $(SKELS) $(PROTO_HS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(LIBCORE): $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSEEP): $(TOP_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SEEP_FULL): $(MAIN_OBJ) $(LIBSEEP) $(LIBCORE)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# --as-needed: the launcher keeps only the shared libraries detect calls
# into (make check verifies: no libbpf, cairo or X11).
$(SEEP): $(LAUNCHER_OBJS) $(LIBCORE) | $(SEEP_FULL)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -Wl,--as-needed $(CORE_LIBS)

# --- tests -------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
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
               $(BUILD)/tests/targets/nofp_helper_stripped $(BUILD)/tests/targets/static_helper \
               $(BUILD)/tests/targets/nofp_shapes_stripped $(BUILD)/tests/targets/fp_shapes
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

# The stack shapes of the BPF walk's oracle test, three ways (see the source).
$(T)/nofp_shapes: tests/targets/nofp_shapes.c tests/targets/target.h $(T)/libseepleak.so | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -o $@ $< -L$(T) -lseepleak -Wl,-rpath,'$$ORIGIN'

$(T)/nofp_shapes_stripped: $(T)/nofp_shapes
	$(call msg,STRIP,$@)
	$(Q)strip -o $@ $<

$(T)/fp_shapes: tests/targets/nofp_shapes.c tests/targets/target.h $(T)/libseepleak.so | $(T)
	$(call msg,TARGET,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -pthread -o $@ $< -L$(T) -lseepleak -Wl,-rpath,'$$ORIGIN'

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
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $(TEST_DEFS) -c $< -o $@

TEST_DEFS = -DSEEP_BUILD_DIR='"$(abspath $(BUILD))"' -DSEEP_SRC_DIR='"$(abspath .)"'

# Unit tests link the core library only, and no libbpf: the link fails if
# analysis code reaches for the tracer.
$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBCORE) $(TEST_HELPER_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $(TEST_DEFS) \
	  -o $@ $< $(TEST_HELPER_OBJS) $(LIBCORE) -lcriterion $(CORE_LIBS)

# The daemon's libbpf-free modules (config, store, series, budget) are unit
# tested too: their objects are linked in beside the core library.
DAEMON_UNIT_OBJS := $(patsubst %,$(BUILD)/user/daemon/%.o,config db watch budget memevents collect_cost)
$(BUILD)/tests/unit/daemon/%: tests/unit/daemon/%.c $(DAEMON_UNIT_OBJS) $(LIBCORE) $(TEST_HELPER_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $(TEST_DEFS) \
	  -o $@ $< $(TEST_HELPER_OBJS) $(DAEMON_UNIT_OBJS) $(LIBCORE) -lcriterion $(CORE_LIBS)

$(BUILD)/tests/%: tests/%.c $(LIBSEEP) $(LIBCORE) $(TEST_HELPER_OBJS) | $(SKELS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $(TEST_DEFS) \
	  -o $@ $< $(TEST_HELPER_OBJS) $(LIBSEEP) $(LIBCORE) -lcriterion $(LDLIBS)

tests: $(UNIT_BINS) $(BPFT_BINS) $(E2E_BINS) $(TARGET_BINS) $(SEEP)

setup:
	$(Q)tools/setup.sh

# The suite: unit (no root), bpf (root, real probes), e2e (the CLI end to end).
test: setup
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tools/run-tests.sh $(UNIT_BINS) -- $(BPFT_BINS) -- $(E2E_BINS)
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory check-docs

# check-docs: README's measured tables are those of the last evaluation
# (tools/eval-detect.md); tools/readme-tables.py copies them.
check-docs:
	$(Q)tools/readme-tables.py --check detect
	$(Q)tools/readme-tables.py --check bench

unit: $(UNIT_BINS) $(TARGET_BINS)
	$(Q)tools/run-tests.sh $(UNIT_BINS)

# check: the layering rule (user/LAYERS; its checker is itself checked on a
# copy of the tree with a wrong include planted), no libbpf in what the unit
# tests link, cppcheck, the unit tests; then the unit and the e2e suites
# under ASan+UBSan (build-asan/).
check: $(UNIT_BINS) $(TARGET_BINS) check-docs
	$(Q)tools/check-layers.sh
	$(Q)tools/check-layers.sh --self-test
	$(Q)for t in $(UNIT_BINS); do \
	  if readelf -d $$t | grep -q 'NEEDED.*libbpf'; then echo "check: $$t links libbpf" >&2; exit 1; fi; done
	$(Q)$(MAKE) --no-print-directory $(SEEP)
	$(Q)if readelf -d $(SEEP) | grep -Eq 'NEEDED.*(libbpf|cairo|X11)'; then \
	  echo "check: the launcher $(SEEP) links libbpf, cairo or X11" >&2; exit 1; fi
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --suppress=missingIncludeSystem --inline-suppr -D_GNU_SOURCE -Iinclude -Iuser user
	$(Q)tools/run-tests.sh $(UNIT_BINS)
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 unit-sanitized
	$(Q)$(MAKE) --no-print-directory check-asan-e2e

# The unit tests under ASan+UBSan, in their own build directory. LeakSanitizer
# suppressions (third-party libraries only) are in tools/lsan.supp.
ASAN_BUILD ?= build-asan
SAN_ASAN := detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
SAN_UBSAN := print_stacktrace=1:halt_on_error=1
SAN_ENV := ASAN_OPTIONS=$(SAN_ASAN) UBSAN_OPTIONS=$(SAN_UBSAN) \
	LSAN_OPTIONS=suppressions=$(abspath tools/lsan.supp):print_suppressions=0
# The e2e suites run the sanitized seep (and daemons, and the test binaries
# themselves): every process's ASan/LSan report goes to a file of its own
# in SAN_LOGS (a test captures seep's stderr and would hide it there);
# run-tests.sh fails a binary that left any. UBSan reports stay on the
# process's stderr (gcc's runtime ignores log_path for them) but are fatal
# (halt_on_error): the process exits 1 and its test fails. Under the
# sanitizers seep is several times slower: each test's waits and Criterion
# timeouts are multiplied by SAN_TIME_SCALE (tests/lib/timescale.h).
SAN_LOGS = $(abspath $(BUILD))/san-logs
SAN_TIME_SCALE ?= 4
# strict_string_checks is off there: it has every strtoul() check the rest
# of its buffer, which makes parsing a 10 MB /proc/kallsyms read whole
# quadratic (106 s, where `seep trace --kernel` starts in 1.1 s without it).
SAN_E2E_ASAN := $(subst strict_string_checks=1:,,$(SAN_ASAN))
SAN_E2E_ENV = ASAN_OPTIONS=$(SAN_E2E_ASAN):log_path=$(SAN_LOGS)/asan \
	UBSAN_OPTIONS=$(SAN_UBSAN) \
	LSAN_OPTIONS=suppressions=$(abspath tools/lsan.supp):print_suppressions=0 \
	SEEP_SAN_LOGS=$(SAN_LOGS) SEEP_TEST_TIME_SCALE=$(SAN_TIME_SCALE)

unit-sanitized: $(UNIT_BINS) $(TARGET_BINS)
	$(Q)echo "== unit tests under ASan+UBSan ($(BUILD))"
	$(Q)$(SAN_ENV) tools/run-tests.sh $(UNIT_BINS)

check-asan-e2e: setup
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 tests
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 e2e-sanitized

e2e-sanitized:
	$(Q)echo "== e2e tests under ASan+UBSan ($(BUILD), time scale $(SAN_TIME_SCALE))"
	$(Q)rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	$(Q)$(SAN_E2E_ENV) tools/run-tests.sh $(E2E_BINS)

demo: setup
	$(Q)$(MAKE) --no-print-directory $(SEEP) $(BUILD)/tests/targets/leaky_server \
	  $(BUILD)/tests/targets/daemon_leaker $(BUILD)/tests/targets/daemon_cache
	$(Q)tools/demo.sh $(SEEP) $(BUILD)/tests/targets/leaky_server

# The price of each way of taking stacks (tools/bench-unwind.md).
bench-unwind: setup $(SEEP) $(BUILD)/tests/targets/nofp_helper $(BUILD)/tests/targets/nofp_recursion
	$(Q)tools/bench-unwind.sh $(SEEP) $(BUILD)/tests/targets

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(BUILD)

$(BUILD)/bpf $(BUILD)/include $(BUILD)/tests/targets $(BUILD)/tests/lib:
	$(Q)mkdir -p $@

# install: the program (the launcher as bin/seep, the full program as
# libexec/seep/seep, which the launcher finds beside it), the systemd unit
# and the default config (PREFIX,
# DESTDIR; the unit's ExecStart names $(PREFIX)/bin/seep). An existing
# config is kept.
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system

install: $(SEEP) $(SEEP_FULL)
	install -D -m 0755 $(SEEP) $(DESTDIR)$(PREFIX)/bin/seep
	install -D -m 0755 $(SEEP_FULL) $(DESTDIR)$(PREFIX)/libexec/seep/seep
	install -D -m 0644 dist/seep.service $(DESTDIR)$(UNITDIR)/seep.service
	sed -i 's|/usr/local/|$(PREFIX)/|g; s|/etc/seep/|$(SYSCONFDIR)/seep/|g' \
	  $(DESTDIR)$(UNITDIR)/seep.service
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/seep
	[ -e $(DESTDIR)$(SYSCONFDIR)/seep/seep.conf ] || \
	  install -m 0644 dist/seep.conf $(DESTDIR)$(SYSCONFDIR)/seep/seep.conf
	install -D -m 0644 docs/daemon.md $(DESTDIR)$(PREFIX)/share/doc/seep/daemon.md

.PHONY: all tests setup test unit check check-docs demo vmlinux clean bench-unwind install \
	unit-sanitized check-asan-e2e e2e-sanitized

# --- fuzz --------------------------------------------------------------------
# libFuzzer harnesses, one per parser (tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/), built by clang with ASan+UBSan in build-fuzz/.
#   make fuzz             each harness for FUZZ_SECONDS (default 30)
#   make fuzz-smoke       each for FUZZ_SMOKE_SECONDS (default 5); `make test` runs it
# New inputs go to $(FUZZ_BUILD)/corpus/NAME (the seeds stay as they are);
# a crash leaves its input in $(FUZZ_BUILD)/crashes/.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(FUZZ_SRCS))

$(BUILD)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIBSEEP) $(LIBCORE)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/fuzz $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -fsanitize=fuzzer \
	  -o $@ $< $(LIBSEEP) $(LIBCORE) $(LDLIBS)

fuzz-bins: $(FUZZ_BINS)

# The hostile-files suite runs the built program.
$(BUILD)/tests/e2e/test_hostile_files: $(SEEP)

fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(CLANG) SANITIZE=1 FUZZ=1 fuzz-bins
	$(Q)$(SAN_ENV) tools/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_SRCS)

fuzz-smoke:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

.PHONY: fuzz fuzz-bins fuzz-smoke

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*/*.d $(BUILD)/gen/*/*.d $(BUILD)/tests/*/*.d $(BUILD)/tests/*/*/*.d)

# --- detect ------------------------------------------------------------------
#   make eval-detect   labelled evaluation of the leak detectors (tools/eval-detect.md)
#   make bench-detect  time per 5-day series and series per second, one core
DETECT_DATA ?= $(abspath ../shared/data/alibaba-mem)
EVAL_DETECT := $(BUILD)/tools/eval_detect

$(EVAL_DETECT): tools/eval_detect.c $(LIBCORE)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -o $@ $< $(LIBCORE) $(CORE_LIBS)

eval-detect: $(EVAL_DETECT) $(SEEP)
	$(Q)tools/eval-detect.sh eval $(EVAL_DETECT) $(DETECT_DATA) "" $(abspath data/corpus) $(abspath $(SEEP))
	$(Q)tools/readme-tables.py detect

bench-detect: $(EVAL_DETECT) $(SEEP)
	$(Q)tools/eval-detect.sh bench $(EVAL_DETECT) $(DETECT_DATA) "" $(abspath data/corpus) $(abspath $(SEEP))

# the end-to-end unit test runs the built program
$(BUILD)/tests/e2e/test_cli_detect $(BUILD)/tests/e2e/test_cli_errors $(BUILD)/tests/e2e/test_launcher: $(SEEP)

.PHONY: eval-detect bench-detect
-include $(wildcard $(BUILD)/tools/*.d)

# --- reach ---------------------------------------------------------------------
#   make eval-leaks    the small-leak suite: seep --reach, seep -s 1, LSan and
#                      valgrind on the same binaries (tools/eval-leaks.md; root)
EVAL_LEAKS_RUNS ?= 20
eval-leaks: $(SEEP)
	$(Q)tools/eval-leaks.sh $(SEEP) $(EVAL_LEAKS_RUNS) tools/eval-leaks.md

.PHONY: eval-leaks

# --- contrast ------------------------------------------------------------------
# bench-contrast: CONAN on a generated data set of 10^8 instances (aggregated
# rows with counts): time and peak memory, and the meta-heuristic's best
# pattern against the exhaustive search up to length 3.
CONTRAST_GEN := $(BUILD)/tools/contrast-gen

$(CONTRAST_GEN): tools/contrast-gen.c $(BUILD)/tests/lib/contrast_gen.o $(LIBCORE)
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

$(BENCH_DIR)/floor: tools/bench/floor.c $(BENCH_DIR)/floor.skel.h $(LIBCORE)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -I$(BENCH_DIR) -o $@ $< $(LIBCORE) $(LDLIBS)

$(BENCH_DIR)/redis-server-glibc: tools/bench/build-redis.sh | $(BENCH_DIR)
	$(call msg,REDIS,$@)
	$(Q)tools/bench/build-redis.sh $(BENCH_DIR)

bench:
	$(Q)tools/setup.sh bench
	$(Q)$(MAKE) --no-print-directory $(SEEP) $(BENCH_BINS)
	$(Q)tools/bench/bench.py $(BENCH_ARGS)
	$(Q)$(MAKE) --no-print-directory bench-fleet
	$(Q)$(MAKE) --no-print-directory bench-tier0 bench-trigger

# bench-fleet: `seep fleet --input` throughput and peak RSS on a generated
# export of 100,000 process series (tools/bench-fleet.sh; FLEET_RUNS runs).
FLEET_GEN  := $(BENCH_DIR)/fleet-gen
FLEET_RUNS ?= 5
$(FLEET_GEN): tools/fleet-gen.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 $(WARN) -o $@ $<

bench-fleet: $(SEEP) $(FLEET_GEN)
	$(Q)tools/bench-fleet.sh $(SEEP) $(FLEET_GEN) $(BENCH_DIR) $(FLEET_RUNS)

.PHONY: bench bench-fleet

# bench-daemon: the daemon's own CPU and RSS over a soak (tools/bench/
# daemon-soak.sh): SOAK_S seconds (600), SOAK_LIVE live processes (500),
# SOAK_STARTS starts a minute (1000), SOAK_INTERVAL (5s). Root. Writes
# $(BUILD)/bench/daemon-soak.md; fails when RSS is not flat over the second
# half; then the daemon's RSS during a heap collection of daemon_leaker.
SOAK_S ?= 600
SOAK_LIVE ?= 500
SOAK_STARTS ?= 1000
SOAK_INTERVAL ?= 5s
bench-daemon: $(SEEP) $(BUILD)/tests/targets/daemon_leaker
	$(Q)tools/bench/daemon-soak.sh $(SEEP) $(SOAK_S) $(SOAK_LIVE) $(SOAK_STARTS) $(SOAK_INTERVAL) \
	  $(BUILD)/bench/daemon-soak.md $(BUILD)/tests/targets/daemon_leaker
.PHONY: bench-daemon

# bench-tier0: what the daemon costs redis-server (glibc malloc) under
# redis-benchmark: off / tier 0 / tier 0 + a heap collection of redis,
# interleaved in TIER0_PAIRS rounds (5); server CPU per command from
# its threads' schedstat, ratios as median (min-max); fails above 1.02x for tier 0.
# Root. Writes $(BUILD)/bench/tier0-redis.md.
TIER0_PAIRS ?= 5
TIER0_REQUESTS ?= 50000
bench-tier0: $(SEEP) $(BENCH_DIR)/redis-server-glibc
	$(Q)tools/bench/tier0-redis.sh $(SEEP) $(BENCH_DIR)/redis-server-glibc $(TIER0_PAIRS) \
	  $(BUILD)/bench/tier0-redis.md $(TIER0_REQUESTS)
.PHONY: bench-tier0

# bench-trigger: leak start to a completed collection, measured at the test
# interval and computed for the default one from the samples the verdict
# takes at the default scale (tools/bench/trigger-latency.sh; ~6 minutes).
bench-trigger: $(SEEP) $(BUILD)/tests/targets/daemon_leaker
	$(Q)tools/bench/trigger-latency.sh $(SEEP) $(BUILD)/tests/targets/daemon_leaker \
	  $(BUILD)/bench/trigger-latency.md
.PHONY: bench-trigger
