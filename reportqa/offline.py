"""No outbound requests: the switches every library we load honours, set before importing them."""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
}


def force_offline() -> None:
    """Switch off every outbound request the libraries we load would otherwise make."""
    os.environ.update(OFFLINE_ENV)
