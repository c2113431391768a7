# Copyright (c) tsdistill authors. All rights reserved.
__version__ = '0.1.0'
