"""``python -m eda`` (and ``torchrun ... -m eda irdrop train ...``): the ``eda`` command."""

import sys

from eda.cli import main

sys.exit(main())
