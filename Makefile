# Lotse: `make run` starts the assistant, `make test` runs every check. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
RVENV := .venv-rasa
LVENV := .venv-lt
PY311 ?= $(shell command -v python3.11 || command -v python3)
PY310 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.10.*/bin/python) $(shell command -v python3.10 2>/dev/null))
MODEL := models/lotse.tar.gz
EMULATOR := tests/telegram_emulator
DOMAIN_RESPONSES := assistant/domain/responses.yml
TRAIN_INPUTS := $(shell find nlu_data dialogues assistant -name '*.yml' 2>/dev/null) $(wildcard assistant/components/*.py) $(DOMAIN_RESPONSES)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test setup train lint clean

help:
	@echo "make run   - start Lotse (Rasa, action server, app) on http://127.0.0.1:8000"
	@echo "make test  - lint, type-check, validate the Rasa data and run all tests"

run: setup $(MODEL)
	$(VENV)/bin/lotse prepare
	$(VENV)/bin/honcho start -f Procfile

test: setup $(MODEL) $(LVENV)/.installed
	scripts/test.sh

setup: $(VENV)/.installed $(RVENV)/.installed $(EMULATOR)/node_modules/.installed

# Bot API emulator for the Telegram end-to-end tests (npm; versions from package-lock.json)
$(EMULATOR)/node_modules/.installed: $(EMULATOR)/package.json $(EMULATOR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node >= 18) is needed for the Telegram emulator tests"; exit 1; }
	cd $(EMULATOR) && npm ci --no-audit --no-fund --silent
	touch $@

$(VENV)/.installed: pyproject.toml requirements/app.lock
	@$(PY311) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is needed for the app (found $(PY311))"; exit 1; }
	test -d $(VENV) || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install -q -c requirements/app.lock -e '.[dev,test]'
	touch $@

$(RVENV)/.installed: requirements/rasa.txt requirements/rasa-constraints.txt
	@test -n "$(PY310)" || { echo "Rasa 3.6 needs Python 3.10: install it (e.g. 'pyenv install 3.10.13') or set PY310=/path/to/python3.10"; exit 1; }
	@$(PY310) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || { echo "$(PY310) is not Python 3.10"; exit 1; }
	test -d $(RVENV) || $(PY310) -m venv $(RVENV)
	$(RVENV)/bin/pip install -q -r requirements/rasa.txt -c requirements/rasa-constraints.txt
	# Lotse's own NLU components (assistant/components) importable by Rasa from any directory
	echo "$(CURDIR)/assistant/components" > $(RVENV)/lib/python3.10/site-packages/lotse-components.pth
	touch $@

$(DOMAIN_RESPONSES): translations/_catalog.yml $(shell find dialogues -name "*.yml") $(VENV)/.installed
	$(VENV)/bin/lotse content domain

# `make train` always asks scripts/train.sh, which compares the inputs' content hash: file times alone
# miss training data edited while a training was running (the model is touched after them).
train: $(RVENV)/.installed $(DOMAIN_RESPONSES)
	scripts/train.sh
	touch $(MODEL)

$(MODEL): $(RVENV)/.installed $(TRAIN_INPUTS)
	scripts/train.sh
	touch $@

# LibreTranslate server for the libretranslate backend's tests (its own venv: Flask stack, pinned)
$(LVENV)/.installed: requirements/libretranslate.txt
	@$(PY311) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "LibreTranslate needs Python >= 3.10 (found $(PY311))"; exit 1; }
	test -d $(LVENV) || $(PY311) -m venv $(LVENV)
	$(LVENV)/bin/pip install -q -r requirements/libretranslate.txt
	touch $@

lint: $(VENV)/.installed
	scripts/lint.sh

clean:
	rm -rf $(VENV) $(RVENV) $(LVENV) models var
