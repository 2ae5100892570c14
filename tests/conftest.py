"""Set-up every test shares: no network switches off, no crash-stage variables inherited."""

import os
import tempfile

from reportqa.index import stages
from reportqa.offline import force_offline

force_offline()  # Gradio and huggingface_hub stay offline in this process and its children
# A REPORTQA_CRASH_AT left in the shell would kill the test process at its first write; the
# crash tests set these variables for the processes they start, never for themselves.
for name in (stages.CRASH_AT, stages.PAUSE_AT, stages.STAGE_LOG):
    os.environ.pop(name, None)
# Caches a test run builds (the reversed CC-CEDICT) go to a folder of the run, not the user's.
os.environ["REPORTQA_CACHE_DIR"] = tempfile.mkdtemp(prefix="reportqa-cache-")
