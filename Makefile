# Two commands matter: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
SLS   := node_modules/.bin/sls
STAGE ?= dev
# LOCAL_AWS=yes: deploy, outputs and remove talk to the local AWS of `make local-aws` (moto, in
# memory, on loopback), with credentials it does not check.
LOCAL_AWS_PORT ?= 4566
LOCAL_AWS_ENV := AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCAL_AWS_PORT) AWS_ACCESS_KEY_ID=local \
	AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
AWS_ENV := $(if $(filter yes,$(LOCAL_AWS)),$(LOCAL_AWS_ENV))
# sls invoke local and serverless-python-requirements start the runtime's interpreter
# (python3.12) by name: the virtualenv's bin comes first on PATH so they find ours.
RUN   := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: install demo test lint unit fuzz bench fixtures package deploy remove print outputs \
	local-aws local-aws-stop clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/find-python.sh
	test -x $(PY) || "$$(scripts/find-python.sh 3.12)" -m venv $(VENV)
	test -x $(VENV)/bin/python3.12 || ln -s python $(VENV)/bin/python3.12
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The local stage's settings come from serverless.yml (text logs, INFO); LOG_FORMAT and LOG_LEVEL
# given to make (LOG_FORMAT=json make demo) are passed to it as stage parameters.
DEMO_PARAMS := $(if $(LOG_FORMAT),--param=logFormat=$(LOG_FORMAT)) $(if $(LOG_LEVEL),--param=logLevel=$(LOG_LEVEL))

demo: install
	$(RUN) $(SLS) invoke local --stage local -f processEvents -p events/mixed-batch.json $(DEMO_PARAMS)

lint: install
	$(VENV)/bin/ruff check handler.py operata operata_lambda tests bench scripts
	$(VENV)/bin/ruff format --check handler.py operata operata_lambda tests bench scripts
	$(VENV)/bin/mypy handler.py operata operata_lambda

unit: install
	$(RUN) $(PY) -m pytest tests/unit

# Every test, side by side on the machine's cores (tests sharing a packaged stage or the
# deployed stack stay on one worker: tests/conftest.py). `make unit` is the fast loop.
test: lint
	$(RUN) $(PY) -m pytest -n auto --dist loadgroup

# The hostile-input properties of `make test`, with many more generated batches (EXAMPLES per
# configuration).
EXAMPLES ?= 300
fuzz: install
	HOSTILE_EXAMPLES=$(EXAMPLES) $(RUN) $(PY) -m pytest tests/unit/test_hostile.py -p no:cacheprovider

# events/*.json and tests/expected/*.txt from events/source/: new files are written, changed
# renderings are shown as a diff and written. Review with `git diff`, then `make test`.
fixtures: $(VENV)/.installed
	$(PY) scripts/build-fixtures.py

bench: install
	$(RUN) $(PY) -m bench

package: install
	$(RUN) $(SLS) package --stage $(STAGE)

deploy: install
	$(AWS_ENV) $(RUN) $(SLS) deploy --stage $(STAGE)

# The stage's stream, bucket, function and dashboard (from the stack's resources where the
# local AWS computes no outputs).
outputs: install
	$(AWS_ENV) $(PY) -m operata outputs --stage $(STAGE)

# Says what the stack's buckets hold; EMPTY_BUCKETS=yes empties those removed with the stack
# (retained ones are kept), then the stack is removed.
remove: install
	$(AWS_ENV) $(PY) -m operata remove-check --stage $(STAGE) $(if $(filter yes,$(EMPTY_BUCKETS)),--empty-buckets)
	$(AWS_ENV) $(RUN) $(SLS) remove --stage $(STAGE)

print: install
	$(RUN) $(SLS) print --stage $(STAGE)

# A local AWS with STAGE deployed to it; then LOCAL_AWS=yes with deploy, outputs, remove.
local-aws: install
	$(PY) -m operata local-aws start --port $(LOCAL_AWS_PORT)
	$(LOCAL_AWS_ENV) $(RUN) $(SLS) deploy --stage $(STAGE)
	$(LOCAL_AWS_ENV) $(PY) -m operata outputs --stage $(STAGE)

local-aws-stop: $(VENV)/.installed
	$(PY) -m operata local-aws stop

clean:
	rm -rf $(VENV) node_modules .serverless .pytest_cache .mypy_cache .ruff_cache
