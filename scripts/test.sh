#!/usr/bin/env bash
# Everything `make test` runs, in order of cost. Assumes `make setup` and a trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 MPLCONFIGDIR=var/mpl
mkdir -p var/mpl

echo "== lint and types"
scripts/lint.sh

echo "== rasa data validate"
.venv-rasa/bin/rasa data validate --config assistant/config.yml --domain assistant/domain \
  --data nlu_data dialogues --fail-on-warnings

echo "== pytest"
.venv/bin/python -m pytest "$@"
