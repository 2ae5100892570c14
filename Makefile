# One command to run the app, one to run the tests (the same ones the README and .ci/run use).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.pdf
APT_PACKAGES := chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils poppler-data \
	tesseract-ocr tesseract-ocr-chi-tra tesseract-ocr-eng
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install install-test system-deps app test lint eval bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: on these machines 2.13.0 is a local CPU build; anything else pulls CUDA.
install: $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[st,app,eval]'

install-test: $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'

# Browser, CJK fonts, LibreOffice, poppler and Tesseract (OCR of scanned pages) for the tests
# (Debian; needs root). poppler-data lets pdftoppm draw PDFs whose CJK fonts are not embedded.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $$missing; \
	  else echo "install as root: apt-get install$$missing"; exit 1; fi; fi

app: install
	$(BIN)/reportqa ingest $(SAMPLE)
	$(BIN)/reportqa app

test: system-deps install-test
	$(BIN)/ruff check reportqa tests scripts benchmarks
	$(BIN)/ruff format --check reportqa tests scripts benchmarks
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check reportqa tests scripts benchmarks

eval: install
	$(BIN)/reportqa eval

bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
