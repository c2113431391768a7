# Copyright (c) tsdistill authors. All rights reserved.
