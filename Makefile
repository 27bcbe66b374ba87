# Two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser run test unit integration e2e bench schemas clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=/path/to/python3.11)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The browser tests drive Debian's chromium through playwright (no browser download), with a CJK font so that
# Chinese renders as glyphs, not empty boxes: only tests need them.
browser:
	@test -x /usr/bin/chromium || apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; } \
		|| echo "warning: could not install chromium (apt-get install chromium); the console browser test will fail"
	@fc-list :lang=zh family | grep -q . || apt-get install -y -q fonts-noto-cjk || { apt-get update -q && apt-get install -y -q fonts-noto-cjk; } \
		|| echo "warning: could not install a CJK font (apt-get install fonts-noto-cjk); Chinese renders as empty boxes"

run: install
	$(BIN)/jointaid up --demo

test: install browser
	$(BIN)/pytest -q

unit: install
	$(BIN)/pytest -q tests/unit

integration: install
	$(BIN)/pytest -q tests/integration

e2e: install browser
	$(BIN)/pytest -q tests/e2e

bench: install
	$(BIN)/python -m jointaid.bench $(BENCH_ARGS)
	$(BIN)/python -m jointaid.bench -n 1500 --rate 50 --no-raw $(BENCH_RATE_ARGS)
	$(BIN)/python -m jointaid.bench_registry $(REGISTRY_BENCH_ARGS)
	$(BIN)/python -m jointaid.bench_caseload $(CASELOAD_BENCH_ARGS)
	$(BIN)/python -m jointaid.bench_signals $(SIGNALS_BENCH_ARGS)
	$(BIN)/python -m jointaid.bench_runs $(RUNS_BENCH_ARGS)

schemas: install
	$(BIN)/python -m jointaid.schemas
	$(BIN)/python -m jointaid.kafka_acls

clean:
	rm -rf $(VENV) .jointaid .pytest_cache .hypothesis
