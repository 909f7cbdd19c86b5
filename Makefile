# Build of the informer extension (PGXS), its standalone core library and
# test runner, and the optional CUDA module.
#
#   make                  informer.so, the SQL script, informer_cuda.so if nvcc is found
#   make install          into the server given by PG_CONFIG
#   make core-check       core library + unit tests, no PostgreSQL needed
#   make USE_CUDA=0       never build the CUDA module
#   make cuda-check       GPU parity tests (skip without a device; docs/gpu.md)
#   bash test/run.sh      every test against a throwaway cluster

EXTENSION  = informer
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" informer.control)
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

CORE_SRCS = $(sort $(wildcard src/core/*.c))
PG_SRCS   = $(sort $(wildcard src/pg/*.c))
CORE_OBJS = $(CORE_SRCS:.c=.o)

MODULE_big = informer
OBJS       = $(CORE_OBJS) $(PG_SRCS:.c=.o)

# The install script is assembled from one file per subsystem, in name order.
SQL_PARTS  = $(sort $(wildcard sql/src/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*--*.sql))

# -O3: the DCGRU's element-wise loops (activation.h) need the vectoriser
OPTFLAGS  ?= -O3
BLAS_LIBS ?= -lopenblas
PG_CPPFLAGS = -Isrc/core -Isrc/pg
PG_CFLAGS   = $(OPTFLAGS)
SHLIB_LINK  = $(BLAS_LIBS) -lm -ldl
EXTRA_CLEAN = $(DATA_built) build

# JIT inlining of numerical code buys nothing; skip the LLVM bitcode.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
include $(PGXS)

# src/core is portable C11; the server's flags ban declarations after
# statements, a C89 habit that core code need not follow.
# -fno-trapping-math changes no result (nothing reads the FP exception
# flags) but lets the vectoriser if-convert the clamps in activation.h.
CORE_VEC    = -fno-trapping-math
CORE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -Wno-declaration-after-statement $(CORE_VEC)
$(CORE_OBJS): CFLAGS += $(CORE_CFLAGS)

$(DATA_built): $(SQL_PARTS) informer.control
	cat $(SQL_PARTS) > $@

# ---- standalone core library and unit tests (no PostgreSQL headers) ----

BUILD        = build
CORE_CC     ?= $(CC)
CORE_WARN    = -Wall -Wextra -Werror -Wno-unused-parameter
CORE_FLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPTFLAGS) $(CORE_VEC) -g $(CORE_WARN) -Isrc/core $(CORE_EXTRA)
CORE_LIB     = $(BUILD)/libinformer_core.a
CORE_LOBJS   = $(patsubst src/core/%.c,$(BUILD)/core/%.o,$(CORE_SRCS))
TEST_SRCS    = $(sort $(wildcard test/core/test_*.c))
TEST_RUNNER  = $(BUILD)/core_tests
PARITY_SRC   = test/parity/parity.c

$(BUILD)/core/%.o: src/core/%.c $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(CORE_FLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_LOBJS)
	rm -f $@
	ar rcs $@ $^

# Each TEST(name) in test/core/test_*.c is registered by this generated list.
$(BUILD)/tests.inc: $(TEST_SRCS)
	@mkdir -p $(BUILD)
	sed -n 's/^TEST(\([a-z0-9_]*\)).*/T(\1)/p' $(TEST_SRCS) > $@

$(TEST_RUNNER): $(TEST_SRCS) test/core/runner.c test/core/unit.h test/core/unit_cuda.h $(BUILD)/tests.inc $(CORE_LIB) $(PARITY_SRC)
	$(CORE_CC) $(CORE_FLAGS) -Itest/core -Itest/parity -I$(BUILD) -o $@ test/core/runner.c $(TEST_SRCS) \
		$(PARITY_SRC) $(CORE_LIB) $(BLAS_LIBS) -lm -lpthread

# build/dcrnn_parity DIR...: the DCRNN model against parity fixtures
$(BUILD)/dcrnn_parity: test/parity/main.c $(PARITY_SRC) test/parity/parity.h $(CORE_LIB)
	$(CORE_CC) $(CORE_FLAGS) -Itest/parity -o $@ test/parity/main.c $(PARITY_SRC) \
		$(CORE_LIB) $(BLAS_LIBS) -lm

# build/torch_export DIR: training steps of the C model for test/torch/check.py
$(BUILD)/torch_export: test/torch/export.c $(CORE_LIB)
	$(CORE_CC) $(CORE_FLAGS) -o $@ $< $(CORE_LIB) $(BLAS_LIBS) -lm

# build/dcrnn_epoch: one training epoch and inference timed (bench/dcrnn_epoch.c)
$(BUILD)/dcrnn_epoch: bench/dcrnn_epoch.c bench/bench_flops.h bench/bench.h $(CORE_LIB)
	$(CORE_CC) $(CORE_FLAGS) -o $@ $< $(CORE_LIB) $(BLAS_LIBS) -lm

# build/train_group: many patterns trained alone and together (bench/train_group.c)
$(BUILD)/train_group: bench/train_group.c bench/bench_model.h bench/bench.h $(CORE_LIB)
	$(CORE_CC) $(CORE_FLAGS) -o $@ $< $(CORE_LIB) $(BLAS_LIBS) -lm -ldl -lpthread

# build/model_io_bench: saving, loading and unpacking a model (bench/model_io.c)
$(BUILD)/model_io_bench: bench/model_io.c $(CORE_LIB)
	$(CORE_CC) $(CORE_FLAGS) -o $@ $< $(CORE_LIB) $(BLAS_LIBS) -lm

.PHONY: core core-check
core: $(CORE_LIB) $(TEST_RUNNER) $(BUILD)/dcrnn_parity

core-check: core
	$(TEST_RUNNER)

# ---- optional CUDA module, loaded with dlopen by the process that needs it ----

NVCC     ?= $(firstword $(wildcard /usr/local/cuda/bin/nvcc) $(shell command -v nvcc 2>/dev/null))
USE_CUDA ?= $(if $(NVCC),1,0)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90
CUDA_SRCS = $(sort $(wildcard src/cuda/*.cu))
CUDA_MOD  = informer_cuda$(or $(DLSUFFIX),.so)

ifeq ($(USE_CUDA),1)
all: $(CUDA_MOD)
install: install-cuda
endif

CUDA_OBJS = $(patsubst src/cuda/%.cu,$(BUILD)/cuda/%.o,$(CUDA_SRCS))
CUDA_WARN = -Werror all-warnings -Xcompiler -Wall,-Wextra,-Werror,-Wno-unused-parameter
CUDA_LIBS = -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 \
            -lcublas -lcudart_static -ldl -lrt -lpthread -lstdc++
# The model's tensor table and diffusion plan come from the core (PIC build).
CUDA_CORE = $(BUILD)/pic/dcrnn.o $(BUILD)/pic/dcrnn_work.o $(BUILD)/pic/task_pool.o \
            $(BUILD)/pic/diffusion.o $(BUILD)/pic/backend_check.o

$(BUILD)/cuda/%.o: src/cuda/%.cu $(wildcard src/cuda/*.h src/core/*.h)
	@mkdir -p $(dir $@)
	$(NVCC) -O2 -lineinfo -std=c++17 $(CUDA_ARCH) $(CUDA_WARN) -Xcompiler -fPIC -Isrc/core -Isrc/cuda -c -o $@ $<

$(BUILD)/pic/%.o: src/core/%.c $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(CORE_FLAGS) -fPIC -c -o $@ $<

$(CUDA_MOD): $(CUDA_OBJS) $(CUDA_CORE)
	$(CXX) -shared -o $@ $^ $(CUDA_LIBS) $(BLAS_LIBS) -lm

# build/cuda_tests: GPU parity tests (test/cuda), skipped without a device
$(BUILD)/cuda_tests: $(wildcard test/cuda/*.c test/cuda/*.h) $(CUDA_OBJS) $(CORE_LIB) $(PARITY_SRC)
	$(CORE_CC) $(CORE_FLAGS) -Isrc/cuda -Itest/cuda -Itest/parity -o $@ $(wildcard test/cuda/*.c) \
		$(PARITY_SRC) $(CUDA_OBJS) $(CORE_LIB) $(CUDA_LIBS) $(BLAS_LIBS) -lm

# build/dcrnn_gpu: GPU and CPU backends timed (bench/dcrnn_gpu.c)
$(BUILD)/dcrnn_gpu: bench/dcrnn_gpu.c bench/bench_flops.h bench/bench.h $(CUDA_OBJS) $(CORE_LIB)
	$(CORE_CC) $(CORE_FLAGS) -Isrc/cuda -o $@ $< $(CUDA_OBJS) $(CORE_LIB) $(CUDA_LIBS) $(BLAS_LIBS) -lm

.PHONY: cuda-check print-use-cuda
print-use-cuda:
	@echo $(USE_CUDA)

INFORMER_DATA ?= $(abspath ../shared/data)
cuda-check: $(BUILD)/cuda_tests $(CUDA_MOD)
	$(BUILD)/cuda_tests $(INFORMER_DATA)

.PHONY: install-cuda
install-cuda: $(CUDA_MOD)
	$(INSTALL_SHLIB) $(CUDA_MOD) '$(DESTDIR)$(pkglibdir)/$(CUDA_MOD)'

clean: clean-informer
.PHONY: clean-informer
clean-informer:
	rm -f $(CUDA_MOD)
