#!/usr/bin/env bash
# Train the Rasa model into models/lotse.tar.gz — or copy it from the model cache when nothing that
# goes into it changed (training data, dialogues, domain, config, Lotse's NLU components, Rasa's pinned versions).
# The cache (LOTSE_MODEL_CACHE_DIR, default ~/.cache/lotse/models, as in bot/config.py) outlives
# clones, so a fresh checkout of an unchanged tree does not train again. Delete it to force training.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${LOTSE_MODEL_CACHE_DIR:-$HOME/.cache/lotse/models}"
key=$(
  { find nlu_data dialogues assistant \( -name '*.yml' -o -name '*.py' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum requirements/rasa.txt requirements/rasa-constraints.txt; } | sha256sum | cut -c1-32
)
mkdir -p models var/mpl "$cache"
if [ -f "$cache/lotse-$key.tar.gz" ]; then
  echo "model inputs unchanged (lotse-$key): taking the model from $cache"
  cp "$cache/lotse-$key.tar.gz" models/lotse.tar.gz
  exit 0
fi
MPLCONFIGDIR=var/mpl TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 \
  .venv-rasa/bin/rasa train --config assistant/config.yml --domain assistant/domain \
  --data nlu_data dialogues --out models --fixed-model-name lotse --num-threads 2
cp models/lotse.tar.gz "$cache/lotse-$key.tar.gz.tmp" && mv "$cache/lotse-$key.tar.gz.tmp" "$cache/lotse-$key.tar.gz"
