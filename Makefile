# SPDX-License-Identifier: GPL-2.0-only
# ec: build every tool into bin/, the shared code into build/libec.a.
# Everything is found by wildcard, so a new lib/X.c, cmd/X/, bpf/X.bpf.c,
# tests/unit/test_X.c or tests/fuzz/fuzz_X.c needs no edit here.
VERSION := 0.1.0
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
SAN ?= 0

ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build/rel
SANFLAGS :=
endif
GEN := build/gen
BIN := bin

# lib/ is one folder per layer (docs/ARCHITECTURE.md); headers are included
# by bare name, so every folder is on the include path
LIB_DIRS := lib $(patsubst %/,%,$(wildcard lib/*/))
LIB_INC := $(addprefix -I,$(LIB_DIRS))

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
	  $(LIB_INC) -Ibpf -I$(GEN) -DEC_VERSION=\"$(VERSION)\" $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS := -lbpf -lelf -lz -lprotobuf-c -lpcap -lnghttp2 -lcjson \
	  -lwebsockets -lcurl -lssl -lcrypto -lseccomp -lpthread

PROTO_C := $(GEN)/ecaptureq.pb-c.c
PROTO_H := $(GEN)/ecaptureq.pb-c.h
# protobuf's own descriptor.proto in C: ec-parse --proto reads descriptor sets with it
DESC_C := $(GEN)/google/protobuf/descriptor.pb-c.c
DESC_H := $(GEN)/google/protobuf/descriptor.pb-c.h
BPF_SRC := $(wildcard bpf/*.bpf.c)
BPF_SKEL := $(patsubst bpf/%.bpf.c,$(GEN)/%.skel.h,$(BPF_SRC))
GEN_H := $(PROTO_H) $(DESC_H) $(BPF_SKEL)

# the key calibration helper (lib/sslcal.h): built plain whatever SAN says,
# linked only to libc (it loads the libraries it calibrates itself), and
# embedded in libec as bytes
SSLCAL := build/sslcal/ec-sslcal
SSLCAL_BLOB := build/sslcal/blob.o

# ec-serve's page (www/, docs/SERVE.md): its files, protobufjs's minimal
# runtime and the decoder its pbjs generates from the schema (both fetched
# from npm once by make deps: tools/npm-deps.sh), inside the binary
EC_NPM ?= $(HOME)/.cache/ec/npm
PBJS_MIN := $(EC_NPM)/node_modules/protobufjs/dist/minimal/protobuf.min.js
PBJS := $(EC_NPM)/node_modules/.bin/pbjs
WWW := www/index.html www/app.css www/app.js build/www/ecaptureq.js $(PBJS_MIN)
WWW_BLOB := build/www/blob.o

LIB_SRC := $(wildcard lib/*.c lib/*/*.c)
SSLROW := $(wildcard lib/sslrow.c lib/*/sslrow.c)
LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/ecaptureq.pb-c.o \
	$(BUILD)/gen/google/protobuf/descriptor.pb-c.o $(SSLCAL_BLOB) \
	$(WWW_BLOB)
LIBEC := $(BUILD)/libec.a

CMDS := $(notdir $(wildcard cmd/*))
TOOLS := $(addprefix $(BIN)/,$(CMDS))
ifeq ($(SAN),1)
TOOLS := $(addprefix $(BUILD)/bin/,$(CMDS))
endif

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_TOOLS := $(BUILD)/tests/ec-gen
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_TIME ?= 10

FMT_SRC = $(filter-out %/vmlinux.h,$(shell git ls-files -co --exclude-standard \
	'*.c' '*.h' 2>/dev/null))

PREFIX ?= /usr/local
MANDIR = $(PREFIX)/share/man
# a page per tool, made by the tool from the tables its --help prints
MANS := $(patsubst %,build/man/%.1,$(filter-out ec-capture,$(CMDS))) build/man/ec-capture.8 \
	build/man/ec-record.5

.PHONY: all tools deps test unit bats asan fuzz bench demo format format-check clean man install \
	uninstall deb
all: $(TOOLS) $(TEST_TOOLS) $(UNIT_BIN)

deps:
	@tests/deps.sh
	@tools/npm-deps.sh

test: deps
	$(MAKE) all
	$(MAKE) format-check
	$(MAKE) unit
	$(MAKE) bats
	$(MAKE) fuzz FUZZ_TIME=$(FUZZ_TIME)

unit: $(UNIT_BIN)
	@tests/unit/run.sh $(UNIT_BIN)

bats: all
	@EC_BUILD=$(BUILD) bats --print-output-on-failure tests/bats

asan:
	$(MAKE) SAN=1 unit

fuzz: $(FUZZ_BIN)
	@tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_BIN)

bench: all
	@bench/run.sh

demo:
	@tests/deps.sh
	@tools/npm-deps.sh
	$(MAKE) all
	@tests/demo.sh

format:
	clang-format -i $(FMT_SRC)

format-check:
	@clang-format --dry-run -Werror $(FMT_SRC) && echo "format-check: ok"

clean:
	rm -rf build bin

man: $(MANS)

# what is installed, and nothing else (the package build's target)
tools: $(addprefix $(BIN)/,$(CMDS)) $(MANS) build/completion/.stamp

# make deb: the Debian package (debian/), built by dpkg-buildpackage from a
# copy of the source, so the checkout's build stays as it is; the package
# and lintian's report land in build/deb/
deb:
	rm -rf build/deb && mkdir -p build/deb/ec-$(VERSION)
	git ls-files -z -co --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C build/deb/ec-$(VERSION)
	# (debhelper gives the build a HOME of its own: the npm cache goes by name)
	cd build/deb/ec-$(VERSION) && EC_NPM=$(abspath $(EC_NPM)) dpkg-buildpackage -b -us -uc
	lintian --fail-on error build/deb/ec_$(VERSION)_*.changes | tee build/deb/lintian.txt

# bash and zsh completions, from what each tool's --help lists
build/completion/.stamp: $(addprefix $(BIN)/,$(CMDS)) tools/completions.sh
	rm -rf build/completion
	tools/completions.sh $(BIN) build/completion
	touch $@

build/man/%.1: $(BIN)/%
	@mkdir -p $(@D)
	$< --man > $@.tmp && mv $@.tmp $@

build/man/%.8: $(BIN)/%
	@mkdir -p $(@D)
	$< --man > $@.tmp && mv $@.tmp $@

# the record stream's page is docs/PROTOCOL.md
build/man/ec-record.5: docs/PROTOCOL.md tools/recordman.sh
	@mkdir -p $(@D)
	tools/recordman.sh $(VERSION) < $< > $@.tmp && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the tools carry their
# BPF objects and helper inside, so they need nothing from the checkout
BASHCOMP = $(PREFIX)/share/bash-completion/completions
ZSHCOMP = $(PREFIX)/share/zsh/vendor-completions
# the systemd units (systemd/, docs/INSTALL.md), their ExecStart= in $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
UNITS := $(patsubst %.in,%,$(notdir $(wildcard systemd/*)))
install: $(addprefix $(BIN)/,$(CMDS)) $(MANS) build/completion/.stamp
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMP) $(DESTDIR)$(ZSHCOMP) $(DESTDIR)$(UNITDIR)
	for u in systemd/*; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u .in) && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$u .in) || exit 1; \
	done
	install -m 755 $(addprefix $(BIN)/,$(CMDS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(filter %.1,$(MANS)) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(filter %.5,$(MANS)) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(filter %.8,$(MANS)) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 $(addprefix build/completion/bash/,$(CMDS)) $(DESTDIR)$(BASHCOMP)/
	install -m 644 $(addprefix build/completion/zsh/_,$(CMDS)) $(DESTDIR)$(ZSHCOMP)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(CMDS)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(MANS)))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(filter %.5,$(MANS)))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(filter %.8,$(MANS)))) \
		$(addprefix $(DESTDIR)$(BASHCOMP)/,$(CMDS)) $(addprefix $(DESTDIR)$(ZSHCOMP)/_,$(CMDS)) \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))

# generated code
$(PROTO_C) $(PROTO_H): proto/ecaptureq.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) --proto_path=proto ecaptureq.proto

$(DESC_C) $(DESC_H): /usr/include/google/protobuf/descriptor.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) --proto_path=/usr/include google/protobuf/descriptor.proto

$(GEN)/vmlinux.h:
	@mkdir -p $(GEN)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(GEN)/%.bpf.o: bpf/%.bpf.c $(GEN)/vmlinux.h $(wildcard bpf/*.h)
	$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86 \
		-I$(GEN) -Ibpf -c $< -o $@

$(GEN)/%.skel.h: $(GEN)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# objects
$(BUILD)/gen/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(SSLCAL): libexec/ec-sslcal.c $(SSLROW) $(SSLROW:.c=.h) bpf/tls_keys.h bpf/tls_keys.bpf.h \
		bpf/tls_keys_self.h
	@mkdir -p $(@D)
	$(CC) -O2 -g0 -s -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(LIB_INC) -Ibpf \
		-o $@ libexec/ec-sslcal.c $(SSLROW) -ldl

$(SSLCAL_BLOB): $(SSLCAL)
	printf '.section .rodata\n.balign 16\n.globl ec_sslcal_blob\n.globl ec_sslcal_blob_end\nec_sslcal_blob:\n.incbin "%s"\nec_sslcal_blob_end:\n.section .note.GNU-stack,"",@progbits\n' \
		$< | $(CC) -c -x assembler -o $@ -

$(WWW_BLOB): $(WWW) tools/www-blob.sh
	@mkdir -p $(@D)
	tools/www-blob.sh $(WWW) | $(CC) -c -x assembler -o $@ -

build/www/ecaptureq.js: proto/ecaptureq.proto | $(PBJS)
	@mkdir -p $(@D)
	$(PBJS) -t static-module -w closure --keep-case --no-comments --no-create --no-encode \
		--no-verify --no-convert --no-delimited --no-typeurl --no-service -o $@.tmp $< && mv $@.tmp $@

$(PBJS) $(PBJS_MIN):
	@echo "$@ is missing: run make deps (it fetches protobufjs from npm, once)" >&2; exit 1

$(LIBEC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

cmd_objs = $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c))
# the NATS client only where it is used (the other tools do not load it)
$(BIN)/ec-nats $(BUILD)/bin/ec-nats: LDLIBS += -lnats
.SECONDEXPANSION:
$(BIN)/% $(BUILD)/bin/%: $$(call cmd_objs,$$*) $(LIBEC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/ec-gen: $(BUILD)/tests/gen/ec-gen.o $(LIBEC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBEC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# fuzz targets: lib compiled again by clang with coverage instrumentation
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE $(LIB_INC) -Ibpf -I$(GEN) -DEC_VERSION=\"$(VERSION)\" \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(patsubst %.c,build/fuzz/%.o,$(LIB_SRC)) build/fuzz/gen/ecaptureq.pb-c.o \
	build/fuzz/gen/google/protobuf/descriptor.pb-c.o $(SSLCAL_BLOB) \
	$(WWW_BLOB)
build/fuzz/gen/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@
build/fuzz/lib/%.o: lib/%.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ) | $(GEN_H)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.SECONDARY: $(FUZZ_OBJ)
.PRECIOUS: $(BUILD)/%.o $(GEN)/%.bpf.o $(GEN)/%.skel.h
-include $(shell find build -path build/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
