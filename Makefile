# Two front doors: `make lab` and `make test` (see README). Everything else is a step they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
PY := $(VENV)/bin/python
STAMPS := .stamps
LAB_PORT ?= 8888
PYTEST_ARGS ?=
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

help:
	@echo "make lab   - set up everything and open JupyterLab on examples/ (SQLite store)"
	@echo "make test  - set up everything and run linters, pytest, jest and the browser tests"

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip

# Build tools first, then the package in editable mode. The TypeScript is built by the
# `build` step below (jlpm directly), so the editable install skips hatch-jupyter-builder.
$(STAMPS)/py: $(PY) pyproject.toml
	@mkdir -p $(STAMPS)
	$(PY) -m pip install -q "hatchling>=1.21" editables "hatch-jupyter-builder>=0.9" "jupyterlab>=4.6.4,<5"
	SKIP_JUPYTER_BUILDER=1 $(PY) -m pip install -q --no-build-isolation -e ".[test]"
	touch $@

$(STAMPS)/js: $(STAMPS)/py package.json yarn.lock
	jlpm install --immutable || jlpm install
	touch $@

$(STAMPS)/build: $(STAMPS)/js $(shell find src style schema -type f 2>/dev/null) tsconfig.json
	jlpm build
	jupyter labextension develop --overwrite .
	touch $@

setup: $(STAMPS)/build

lab: setup
	jupyter lab --ServerApp.root_dir=examples --port=$(LAB_PORT) $(ALLOW_ROOT)

# ---- tests -------------------------------------------------------------------------------
chromium:
	@command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) || true

lint: setup
	ruff check
	ruff format --check
	mypy
	jlpm lint:check

pytest: setup pg-up
	pytest -n 2 $(PYTEST_ARGS)

jstest: setup
	jlpm test

$(STAMPS)/ui: $(STAMPS)/build ui-tests/package.json ui-tests/yarn.lock
	cd ui-tests && (jlpm install --immutable || jlpm install)
	touch $@

uitest: $(STAMPS)/ui chromium
	cd ui-tests && jlpm playwright test

test: lint pytest jstest uitest

# The README's pictures (docs/img/*.png), from the real lab; not part of `make test`.
screenshots: $(STAMPS)/ui chromium
	cd ui-tests && MLTRACK_SCREENSHOTS=1 jlpm playwright test

# Benchmarks against the real peers (each in its own venv under /tmp/bench), same run.
bench: setup
	bash bench/peers/setup_venvs.sh
	$(PY) bench/bench_client.py
	$(PY) bench/bench_checkpoints.py
	$(PY) bench/bench_runs.py --mlflow /tmp/bench/venvs/mlflow/bin/python
	$(PY) bench/bench_series.py
	$(PY) bench/bench_monitor.py
	$(PY) bench/bench_diff_corpus.py
	$(PY) bench/bench_history.py
	$(PY) bench/bench_import.py
	$(PY) bench/bench_cli.py
	$(PY) bench/bench_abort.py

bench-quick: setup
	bash bench/peers/setup_venvs.sh
	$(PY) bench/bench_client.py --quick
	$(PY) bench/bench_checkpoints.py --quick
	$(PY) bench/bench_runs.py --reps 3
	$(PY) bench/bench_series.py --reps 3
	$(PY) bench/bench_monitor.py

clean:
	rm -rf $(STAMPS) labextension lib node_modules ui-tests/node_modules tsconfig.tsbuildinfo

.PHONY: help setup lab chromium pg-up lint pytest jstest uitest test screenshots bench bench-quick clean
.PHONY: reliability-full

# Full-size reliability run (docs/reliability.md): 20 SIGKILLs, 8 SQLite and 32 PostgreSQL
# writers x 100,000 points, a real PostgreSQL restart, 200 schemathesis examples per operation.
# Serial (-p no:xdist): the restart must not hit other tests.
reliability-full: setup pg-up
	rm -f reliability-report.txt
	MLTRACK_RELIABILITY_FULL=1 MLTRACK_RELIABILITY_REPORT=$(CURDIR)/reliability-report.txt \
	  pytest -p no:xdist -s tests/reliability tests/security
	cat reliability-report.txt
