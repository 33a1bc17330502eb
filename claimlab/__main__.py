"""`python -m claimlab`: the same as the `claimlab` command."""

import sys

from claimlab.main import main

sys.exit(main())
