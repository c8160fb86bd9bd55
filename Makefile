# lengen: `make book` builds the book, `make test` runs every test. Nothing needs activating:
# every command runs through .venv/bin/python (or a script in .venv/bin).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Pinned in the install path: these machines hold a CPU wheel of exactly this release, and a
# looser requirement pulls a multi-GB CUDA build.
TORCH  := torch==2.13.0
# Re-install only when pyproject.toml is newer than this stamp (or the venv is gone).
INSTALLED := $(VENV)/.lengen-installed
# The book's execution cache keys on code cells only; this stamp drops it when lengen/ changes.
LENGEN_SOURCES := $(shell find lengen -type f \( -name '*.py' -o -name '*.crasp' \) 2>/dev/null)
BOOK_SOURCES_STAMP := _build/.lengen-sources

.PHONY: help install book test test-package test-notebooks clean distclean vendor test-site

help:
	@echo "make book   install into $(VENV) if needed, build the book, print where the HTML is"
	@echo "make test   install into $(VENV) if needed, run the package tests, the notebook tests and"
	@echo "            the student notebooks, then build the book and check every page in headless"
	@echo "            Chromium, offline"
	@echo "make clean  remove build and test outputs (make distclean also removes $(VENV))"
	@echo "make student       the chapters without solutions, as notebooks in _build/student/"
	@echo "make test-student  execute those student notebooks as tests (as long as the chapters)"

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install "$(TORCH)" -e ".[book,test]"
	@touch $@

$(BOOK_SOURCES_STAMP): $(LENGEN_SOURCES) pyproject.toml
	@if [ -d _build/.jupyter_cache ]; then echo "lengen/ changed: dropping the book's execution cache"; fi
	rm -rf _build/.jupyter_cache _build/.doctrees
	@mkdir -p _build && touch $@

# The JavaScript the pages load (MathJax, RequireJS, the widget manager) comes from the npm
# registry at the versions pinned in scripts/vendor_js.py; once in place, nothing is fetched.
vendor: $(INSTALLED)
	@$(PY) scripts/vendor_js.py

book: $(INSTALLED) $(BOOK_SOURCES_STAMP) vendor
	@$(PY) scripts/book_index.py
	@$(VENV)/bin/jupyter-book build . -W -n --keep-going \
	  || { echo "Book build failed: see the messages above and _build/html/reports/"; exit 1; }
	@$(PY) scripts/vendor_js.py --into _build/html
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# All four stages always run; the target fails if any failed.
test: $(INSTALLED)
	@status=0; \
	echo "=== package tests: pytest tests/ ==="; \
	MPLBACKEND=Agg $(PY) -m pytest tests || status=1; \
	echo "=== notebook tests: scripts/test_notebooks.py ==="; \
	$(PY) scripts/test_notebooks.py || status=1; \
	echo "=== student notebooks: the chapters without solutions, executed (make test-student) ==="; \
	$(PY) scripts/test_notebooks.py --student --workdir .nbtest-student || status=1; \
	echo "=== site checks: make book, then every page in headless Chromium, offline ==="; \
	{ $(MAKE) --no-print-directory book && $(PY) scripts/check_site.py; } || status=1; \
	exit $$status

test-package: $(INSTALLED)
	MPLBACKEND=Agg $(PY) -m pytest tests

test-notebooks: $(INSTALLED)
	$(PY) scripts/test_notebooks.py

test-site: book
	$(PY) scripts/check_site.py

# The teaching kit: the chapters with the exercises' solutions removed (scripts/student.py).
.PHONY: student test-student
student: $(INSTALLED)
	$(PY) scripts/student.py --out _build/student

test-student: $(INSTALLED)
	$(PY) scripts/test_notebooks.py --student --workdir .nbtest-student

clean:
	rm -rf _build .nbtest .pytest_cache .hypothesis
	rm -rf .nbtest-student
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
