# Copyright (c) tsdistill authors. All rights reserved.
"""Helpers shared by the launcher, DDP and resume tests."""
