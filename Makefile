# concbench - see README.md. Settings are overridable: make CC=clang SAN=thread test
CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
SAN      ?=
VERSION  := 0.1.0
GIT_REV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE
PG_INC   ?= $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CPPFLAGS += -I$(PG_INC)
LDLIBS   += -lcsv -lxxhash -lspng -lcurl -lsqlite3 -lpq -ljansson -lgsl -lgslcblas -luring -lpthread -lm

comma    := ,
O        ?= build
ifneq ($(SAN),)
VARIANT  := san-$(subst $(comma),-,$(SAN))
CFLAGS   += -fsanitize=$(SAN) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SAN)
else
VARIANT  := release
endif
B        := $(O)/$(VARIANT)
# The default build is bin/concbench; sanitizer and O= builds stay under $(B).
BIN      := $(if $(filter build/release,$(B)),bin/concbench,$(B)/concbench)

ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP \
  -DCONCBENCH_VERSION='"$(VERSION)"' -DCONCBENCH_GIT_REV='"$(GIT_REV)"' \
  -DCONCBENCH_CFLAGS='"$(CFLAGS)"'

LIB_SRC  := $(filter-out runner/cli/main.c,$(wildcard runner/*.c runner/*/*.c)) $(wildcard workloads/*.c bench/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
MAIN_OBJ := $(B)/runner/cli/main.o
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(B)/unit-tests
# runner/base/stats.c on vectors from stdin, cross-checked against scipy
STATS_CHECK := $(B)/stats-check
# scipy comes from Debian's python3-scipy: prefer the system interpreter
PYTHON3  ?= $(firstword $(wildcard /usr/bin/python3) python3)

.PHONY: all deps run test unit cli memcheck bench-core bench-gil install uninstall clean format lint fuzz fuzz-run

all: $(BIN)

$(BIN): $(MAIN_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make rebuilds from timestamps, not from settings: a stamp file per
# setting, rewritten only when its text changes, makes what it affects out
# of date. Every object depends on the compiler and flags (OPT=-O0 into
# the same build directory), sysinfo.o on the revision it records in
# every CSV row (git_rev). The stamps are written as the Makefile is read,
# so even `make -n` with other settings makes the next plain build redo
# what they affect: more work, never a stale object.
FLAGS_STAMP := $(B)/flags.stamp
REV_STAMP   := $(B)/git-rev.stamp
FLAGS_TEXT   = $(CC) $(filter-out -DCONCBENCH_GIT_REV=%,$(ALL_CFLAGS)) $(LDFLAGS)
# $(call stamp,FILE,VARIABLE): FILE holds VARIABLE's value
define stamp
ifneq ($$(file <$(1)),$$($(2)))
$$(shell mkdir -p $$(dir $(1)))
$$(file >$(1),$$($(2)))
endif
endef
$(eval $(call stamp,$(FLAGS_STAMP),FLAGS_TEXT))
$(eval $(call stamp,$(REV_STAMP),GIT_REV))
$(B)/runner/base/sysinfo.o: $(REV_STAMP)

$(B)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(UNIT_BIN): $(UNIT_SRC:%.c=$(B)/%.o) $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(STATS_CHECK): $(B)/tests/stats/stats_check.o $(B)/runner/base/stats.o
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ -lm

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BIN) --mode=all --workload=cpu

# Criterion can't start under ThreadSanitizer (Snaipe/Criterion#274: "Could
# not initialize inheritable arena"), so SAN=thread runs the CLI tests that
# drive the pools, every mode, gil, async, the benches, IPC, signals and
# timeouts through the TSan-built binary (CLI_TESTS). The rest (options,
# report, compare, store, history, precision's scheduling, output paths)
# runs single-threaded code that the plain and ASan+UBSan passes test; under
# TSan it would only double CI's time. Every file is in one of the two lists
# (make lint-tests checks): a new one must say which it is.
CLI_CONCURRENT := core engine async gil ipc sync io hardening image gate
CLI_SERIAL := dashboard explain history layout lint noise precision report safety stats store \
	store_pg
CLI_TESTS := tests/cli
ifneq ($(filter thread,$(subst $(comma), ,$(SAN))),)
CLI_TESTS := $(addprefix tests/cli/,$(addsuffix .bats,$(CLI_CONCURRENT)))
endif
CLI_FILES := $(basename $(notdir $(wildcard tests/cli/*.bats)))
test: deps check-includes
ifeq ($(filter thread,$(subst $(comma), ,$(SAN))),)
	@# one after the other, even under -j: the CLI tests run real reps, and
	@# the unit tests beside them would load the CPUs they measure
	@$(MAKE) --no-print-directory lint-tests
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory cli
else
	@echo "  NOTE    unit tests skipped under TSan (Criterion#274); the concurrent CLI tests run: $(notdir $(CLI_TESTS))"
	@$(MAKE) --no-print-directory lint-tests cli
endif

# Tests that cannot fail (`! cmd` mid-test in bats, ShellCheck warnings) and
# comments or docs that cite a file the project lacks (scripts/lint-tests,
# scripts/lint-paths; about a second).
.PHONY: lint-tests
lint-tests:
	@echo "  LINT    tests/cli, cited paths"
	@unlisted='$(filter-out $(CLI_CONCURRENT) $(CLI_SERIAL),$(CLI_FILES))'; \
	stale='$(filter-out $(CLI_FILES),$(CLI_CONCURRENT) $(CLI_SERIAL))'; \
	if [ -n "$$unlisted$$stale" ]; then \
		echo "lint-tests: tests/cli: in neither CLI_CONCURRENT nor CLI_SERIAL (Makefile):" \
			"'$$unlisted'; listed but absent: '$$stale'" >&2; exit 1; fi
	@scripts/lint-tests
	@scripts/lint-paths


# The include rules of runner/README.md (who may include whom).
.PHONY: check-includes
check-includes:
	scripts/check-includes

unit: $(UNIT_BIN) $(STATS_CHECK)
	$(UNIT_BIN) --jobs=1
	$(PYTHON3) tests/stats/crosscheck.py $(STATS_CHECK)

cli: $(BIN)
	@# a pool process forked while other cells keep thread pools alive may start threads:
	@# TSan refuses that by default (die_after_fork); the run is still checked for races
	TSAN_OPTIONS="die_after_fork=0 $$TSAN_OPTIONS" CONCBENCH=$(abspath $(BIN)) CONCBENCH_SAN=$(SAN) bats $(CLI_TESTS)

# A small suite under valgrind: zero errors, zero leaks (children too).
memcheck: $(BIN)
	scripts/memcheck.sh $(BIN)


bench-core: $(BIN) $(B)/plainloop
	scripts/bench-core.sh $(BIN) $(B)/plainloop

$(B)/plainloop: $(B)/tools/plainloop.o $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)


# The results store: ingest rates, history/dashboard times, detection quality.
.PHONY: bench-store
bench-store: $(BIN) $(B)/cpquality
	scripts/bench-store.sh $(BIN) $(B)/cpquality

$(B)/cpquality: $(B)/tools/cpquality.o $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-gil: $(BIN)
	scripts/bench-gil.sh $(BIN)

.PHONY: bench-io
bench-io: $(BIN)
	scripts/bench-io.sh $(BIN)

# How fast the CI gate is: compare of two 300,000-row CSVs, report of one.
.PHONY: bench-gate
bench-gate: $(BIN)
	scripts/bench-gate.sh $(BIN)

# Issue 12: the gate's power at 5 reps a side - A/A and A/B (10 tries each),
# and a 100-cell suite with one cell 25% slower.
.PHONY: bench-gate-power
bench-gate-power: $(BIN)
	TRIES=10 ROUNDS=5 RUNS=1 scripts/aa-ab.sh $(BIN)
	scripts/gate-suite.sh $(BIN)

# Issue 15: efficiency budgets of -w cpu, a CPU hog beside a run, what the mechanism figures cost.
.PHONY: bench-explain
bench-explain: $(BIN) $(B)/mechcost
	scripts/bench-explain.sh $(BIN) $(B)/mechcost

$(B)/mechcost: $(B)/tools/mechcost.o $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Issue 17: 10,000 waits - async vs threads vs procs vs asyncio.
.PHONY: bench-async
bench-async: $(BIN)
	scripts/bench-async.sh $(BIN)

# The standard suite + report; hyperfine cross-check; the CI regression gate.
.PHONY: bench hyperfine ci-bench
bench: $(BIN)
	scripts/bench.sh $(BIN)

hyperfine: $(BIN)
	scripts/hyperfine.sh $(BIN)

ci-bench:
	scripts/ci-regress

# ipc next to perf bench sched pipe and hackbench, interleaved (scripts/compare-peers).
.PHONY: compare-peers
compare-peers: $(BIN)
	scripts/compare-peers $(BIN)

concbench.1: $(BIN)
	help2man --no-info --name="threads, processes or a GIL? measured on this machine" \
	  --version-string=$(VERSION) $(BIN) > $@

install: $(BIN) concbench.1
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/concbench
	install -m 644 concbench.1 $(DESTDIR)$(PREFIX)/share/man/man1/concbench.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/concbench $(DESTDIR)$(PREFIX)/share/man/man1/concbench.1

# Fuzz targets: each tests/fuzz/fuzz_NAME.c, built with clang + libFuzzer
# against the library and run FUZZ_TIME seconds from tests/fuzz/corpus/NAME/.
FUZZ_TIME ?= 60
FUZZ_BIN   = $(patsubst tests/fuzz/%.c,$(B)/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz:
	@$(MAKE) --no-print-directory CC=clang SAN=fuzzer-no-link,address,undefined fuzz-run

fuzz-run: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$${f##*/fuzz_}; mkdir -p $(B)/corpus/$$n; \
	  echo "  FUZZ    $$n for $(FUZZ_TIME) s (log $(B)/fuzz-$$n.log)"; \
	  $$f -max_total_time=$(FUZZ_TIME) -timeout=10 -artifact_prefix=$(B)/ \
	    $(B)/corpus/$$n tests/fuzz/corpus/$$n 2>$(B)/fuzz-$$n.log || \
	    { tail -40 $(B)/fuzz-$$n.log; exit 1; }; done

$(B)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(CPPFLAGS) -fsanitize=fuzzer,address,undefined \
	  -o $@ $^ $(LDLIBS)

format:
	clang-format -i runner/*.[ch] runner/*/*.[ch] workloads/*.c bench/*.c tests/unit/*.c tests/stats/*.c

lint:
	clang-format --dry-run --Werror runner/*.[ch] runner/*/*.[ch] workloads/*.c bench/*.c tests/unit/*.c tests/stats/*.c

clean:
	rm -rf build bin concbench.1

-include $(shell find $(B) -name '*.d' 2>/dev/null)
