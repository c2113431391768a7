# Copyright (c) tsdistill authors. All rights reserved.
"""Helpers shared by the tests: tiny recognizer configs and batches
(``recognizers``), videos, launchers, a DDP probe and a toy runner."""
