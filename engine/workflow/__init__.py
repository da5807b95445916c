"""Workflow definitions: the model, the YAML loader with validation, and the state machine."""
from __future__ import annotations
