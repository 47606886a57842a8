"""Run Rasa with its API token from ``LOTSE_RASA_TOKEN`` instead of the command line.

Rasa 3.6 reads the token of its HTTP API only from ``--auth-token``. Started by ``lotse run rasa``
(see ``bot/rasa_config.py``) with ``.venv-rasa/bin/python scripts/rasa_run.py run ...``, this adds the
option inside the process: ``ps`` and ``/proc/<pid>/cmdline`` (readable by every user) show the
command without the token; the environment is readable only by the same user.
"""

import os
import sys

from rasa.__main__ import main  # type: ignore[import-not-found]

if __name__ == "__main__":
    token = os.environ.pop("LOTSE_RASA_TOKEN", "")
    sys.argv = ["rasa", *sys.argv[1:], *(["--auth-token", token] if token else [])]
    sys.exit(main())
