# Every entry point installs what it needs on first use: `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON312 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12) $(shell command -v python3.12))
VENV := .venv
TOOLS := .tools/sam
PY := $(VENV)/bin/python
SAM := $(TOOLS)/bin/sam
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
# The layer's package and the functions import the way Lambda lays them out (/opt/python, /var/task).
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/common
COVERAGE_MIN ?= 85

.PHONY: help install tools system-packages lint format validate build test test-unit test-integration test-e2e run demo token bench load openapi docs portal-screenshots clean

help: ## List the entry points
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found (pyenv install 3.12)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(TOOLS)/.installed: tools/requirements-sam.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found (pyenv install 3.12)"; exit 1; }
	$(PYTHON312) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r tools/requirements-sam.txt
	@touch $@

install: $(VENV)/.installed ## Create .venv (python3.12) with the pinned dev dependencies

tools: $(TOOLS)/.installed ## Install aws-sam-cli in its own tool venv

system-packages: ## Debian packages the tests run: chromium (portal), php and node (the guide's verifiers); apt, only what is missing
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium chromium-driver"; \
	command -v php >/dev/null || missing="$$missing php-cli"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

lint: install ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: install tools ## cfn-lint and sam validate --lint (offline)
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml

build: tools ## sam build (python3.12 first on PATH, as SAM's builder needs)
	PATH="$(dir $(PYTHON312)):$$PATH" $(SAM) build --template template.yaml

test: system-packages lint validate build ## Everything CI runs: lint, types, template checks, sam build, all tests with coverage
	$(VENV)/bin/pytest --cov --cov-fail-under=$(COVERAGE_MIN)

test-unit: install ## Unit tests only (no network, no emulator)
	$(VENV)/bin/pytest tests/unit --no-cov

test-integration: install system-packages ## Integration tests (moto in-process; php and node run the guide's verifiers)
	$(VENV)/bin/pytest tests/integration --no-cov

test-e2e: install system-packages ## End-to-end tests against a running local stack (started and stopped by the tests)
	$(VENV)/bin/pytest tests/e2e --no-cov

run: install ## Start the local stack in the foreground (Ctrl-C stops it); PARAMS="Key=Value ..." overrides template parameters
	LOCAL_PARAMETER_OVERRIDES="$(PARAMS)" $(PY) -m local.stack

demo: install ## Start the local stack, deliver every event to a verifying receiver, print the table
	LOCAL_PARAMETER_OVERRIDES="$(PARAMS)" $(PY) -m local.demo

token: install ## Print a bearer token for the local stack, valid 60 minutes: make token ACCOUNT=acme ROLE=admin|reader
	@$(PY) -m local.token --account "$(or $(ACCOUNT),acme)" --role "$(or $(ROLE),admin)"

bench: install ## Run every benchmark (each prints ratio= last) and write BENCHMARKS.md (with the last load run)
	$(PY) -m bench.report

N ?= 10000
load: install ## N license writes x 3 webhooks through the local stack, every POST counted: make load N=10000
	$(PY) -m bench.load --n $(N)

openapi: install ## Regenerate docs/openapi.json from the manage routes and models (a test fails on drift)
	$(PY) -m tools.generate_openapi

portal-screenshots: install system-packages ## Refresh docs/portal-*.png from a run of the portal's browser tests
	PORTAL_SCREENSHOTS_DIR=docs $(VENV)/bin/pytest tests/e2e/test_portal.py tests/e2e/test_portal_health.py --no-cov -q

docs: install ## Regenerate the event examples of the receiving guide and the OpenAPI webhooks (a test fails on drift)
	$(PY) -m tools.generate_event_examples

clean: ## Remove build output and caches (keeps the venvs)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov .local
