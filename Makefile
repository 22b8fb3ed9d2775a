# corpusd top-level Makefile.
#
#   make            build bin/corpusd (release, -O2)
#   make test       install missing Debian packages, build, run the suite
#                   twice: plain, then under ASan+UBSan
#   make demo       install, build, run the main job on the shipped sample
#   make bench      benchmarks against the peers named in the issues
#   make fuzz       build the libFuzzer targets (clang); make fuzz-run runs them
#   make deps       scripts/install-deps.sh
#   make clean
#
# Stage folders are globbed: a new .c file in a stage folder is built and
# linked without touching this file. Subcommands and stages register
# themselves (core/registry.h), so no central table needs editing either.
# CUDA sources (*/cuda/*.cu) build only when nvcc is found (CUDA=0 forces it
# off); MPI sources (*/mpi/*.c) only when mpicc is found (MPI=0 forces it off).

MODE      ?= rel
STAGES    := core cli crawl extract mathnorm filter dedup codefilter tokenizer shards synth
BUILD     := build/$(MODE)

CC        ?= cc
CXX       ?= c++
PKG_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
WARN      := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wshadow=local -Wvla
CSTD      := -std=c17 -D_GNU_SOURCE
COMMON    := $(WARN) -I. $(PKG_CFLAGS) -g -fno-omit-frame-pointer -MMD -MP -pthread
ifeq ($(MODE),san)
  OPT     := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDSAN   := -fsanitize=address,undefined
  BINDIR  := $(BUILD)
else
  OPT     := -O2
  LDSAN   :=
  BINDIR  := bin
endif
CFLAGS    ?=
CFLAGS    += $(CSTD) $(COMMON) $(OPT)
CXXFLAGS  += -std=c++17 $(COMMON) $(OPT) -Wno-shadow
LDLIBS    := -lzstd -lz -lxxhash -lpcre2-8 -lsqlite3 -lyaml -lxml2 -lm -ldl -lpthread
# libcurl, libarchive, libgit2 and libmicrohttpd are not linked: core/lazylib.c
# loads them with dlopen on first use (with their ~40 dependencies they cost
# every subcommand ~20 ms of start-up). Their sonames come from the -dev
# packages' libX.so links.
soname = $(shell objdump -p "$$($(CC) -print-file-name=lib$(1).so)" 2>/dev/null | awk '/SONAME/ {print $$2}')
LAZY_SONAMES := $(foreach l,curl:CURL archive:ARCHIVE git2:GIT2 microhttpd:MHD,\
  $(if $(call soname,$(firstword $(subst :, ,$(l)))),-DCD_$(lastword $(subst :, ,$(l)))_SONAME='"$(call soname,$(firstword $(subst :, ,$(l))))"'))
CFLAGS    += $(LAZY_SONAMES)
ifeq ($(strip $(LAZY_SONAMES)),)
  $(warning no sonames found for libcurl/libarchive/libgit2/libmicrohttpd (objdump missing?): using Debian 12's)
endif
# Optional libraries: linked when their Debian -dev package is present.
ifneq ($(wildcard /usr/include/cld2/public/compact_lang_det.h),)
  LDLIBS  += -lcld2
  CFLAGS  += -DHAVE_CLD2=1
  CXXFLAGS += -DHAVE_CLD2=1
endif
ifneq ($(wildcard /usr/include/fasttext/fasttext.h),)
  LDLIBS  += -lfasttext
  CFLAGS  += -DHAVE_FASTTEXT=1
  CXXFLAGS += -DHAVE_FASTTEXT=1
endif
ifneq ($(wildcard /usr/include/unicode/ubrk.h),)
  LDLIBS  += -licuuc
  CFLAGS  += -DHAVE_ICU=1
endif
ifneq ($(wildcard /usr/include/isa-l.h /usr/include/isa-l/igzip_lib.h),)
  LDLIBS  += -lisal
  CFLAGS  += -DHAVE_ISAL=1
endif
# OpenBLAS is not linked: synth/cpu/blas.c loads it with dlopen on first use.
ifneq ($(wildcard /usr/include/microhttpd.h),)
  CFLAGS  += -DHAVE_MICROHTTPD=1
endif
ifneq ($(wildcard /usr/include/utf8proc.h),)
  LDLIBS  += -lutf8proc
  CFLAGS  += -DHAVE_UTF8PROC=1
endif
ifneq ($(wildcard /usr/include/git2.h),)
  CFLAGS  += -DHAVE_LIBGIT2=1
endif
CC_IS_CXX_LINK := $(shell find $(STAGES) -name '*.cc' 2>/dev/null | head -1)
ifneq ($(CC_IS_CXX_LINK),)
  LDLIBS  += -lstdc++
endif

SRCS      := $(shell find $(STAGES) \( -name '*.c' -o -name '*.cc' \) -not -path '*/cuda/*' -not -path '*/mpi/*' 2>/dev/null | sort)
MAIN_SRC  := cli/main.c
LIB_SRCS  := $(filter-out $(MAIN_SRC),$(SRCS))
LIB_OBJS  := $(patsubst %,$(BUILD)/obj/%.o,$(LIB_SRCS))
MAIN_OBJ  := $(BUILD)/obj/$(MAIN_SRC).o
TEST_SRCS := $(shell find tests -name '*.c' -not -path 'tests/fuzz/*' -not -path '*/node_modules/*' 2>/dev/null | sort)
TEST_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(TEST_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

CORPUSD   := $(BINDIR)/corpusd
UNIT      := $(BUILD)/unit-tests

# Optional plugins, loaded at run time with dlopen.
NVCC      := $(if $(filter 0,$(CUDA)),,$(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null))
CU_SRCS   := $(shell find $(STAGES) -path '*/cuda/*' -name '*.cu' 2>/dev/null | sort)
MPICC     := $(if $(filter 0,$(MPI)),,$(shell command -v mpicc 2>/dev/null))
MPI_SRCS  := $(shell find $(STAGES) -path '*/mpi/*' -name '*.c' 2>/dev/null | sort)
PLUGINS   :=
ifneq ($(and $(NVCC),$(CU_SRCS)),)
  PLUGINS += lib/corpusd-cuda.so
endif
ifneq ($(and $(MPICC),$(MPI_SRCS)),)
  PLUGINS += lib/corpusd-mpi.so
endif

.PHONY: all test test-only demo bench fuzz fuzz-run deps clean unit plugins test-gpu
all: $(CORPUSD) $(PLUGINS)

$(CORPUSD): $(MAIN_OBJ) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -rdynamic -pthread -o $@ $^ $(LDLIBS)

$(UNIT): $(LIB_OBJS) $(TEST_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -rdynamic -pthread -o $@ $^ $(LDLIBS)

unit: $(UNIT)

$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.cc.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# The kernel table and the headers next to the .cu files are part of the plugin's ABI.
lib/corpusd-cuda.so: $(CU_SRCS) $(wildcard $(addsuffix *.h,$(dir $(CU_SRCS))) $(addsuffix ../*.h,$(dir $(CU_SRCS))))
	@mkdir -p lib
	$(NVCC) -O3 -std=c++17 -I. -Xcompiler -fPIC -shared \
	  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 \
	  -gencode arch=compute_89,code=sm_89 -gencode arch=compute_90,code=sm_90 \
	  -o $@ $(CU_SRCS) -lcublasLt -lcublas

lib/corpusd-mpi.so: $(MPI_SRCS)
	@mkdir -p lib
	$(MPICC) $(CSTD) $(WARN) -I. -O2 -g -fPIC -shared -o $@ $(MPI_SRCS)

plugins: $(PLUGINS)

deps:
	@sh scripts/install-deps.sh

# The README's test command.
test:
	@sh scripts/install-deps.sh
	$(MAKE) MODE=rel all unit
	$(MAKE) MODE=san all unit
	@sh tests/run.sh

test-only:
	@sh tests/run.sh

test-gpu: all
	@sh tests/run.sh --gpu

demo:
	@sh scripts/install-deps.sh
	$(MAKE) MODE=rel all
	@sh scripts/demo.sh

bench:
	@sh scripts/install-deps.sh --bench
	$(MAKE) MODE=rel all
	@sh bench/run.sh

FUZZ_CC    := clang
FUZZ_DIR   := build/fuzz
FUZZ_FLAGS := $(CSTD) -I. $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
              -Wall -Wextra -Wno-unused-parameter $(filter -D%,$(CFLAGS))
FUZZ_LIB   := $(patsubst %,$(FUZZ_DIR)/obj/%.o,$(filter %.c,$(LIB_SRCS)))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_CXX   := $(patsubst %,$(BUILD)/obj/%.o,$(filter %.cc,$(LIB_SRCS)))

$(FUZZ_DIR)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(FUZZ_CXX)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

fuzz: $(FUZZ_BINS)

FUZZ_SECONDS ?= 15
fuzz-run: fuzz
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build bin lib

-include $(shell find build -name '*.d' 2>/dev/null)
