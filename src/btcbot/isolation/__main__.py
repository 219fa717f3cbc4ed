"""``python -m btcbot.isolation PARENT_PID``: a strategy's own process (``child``)."""

import sys

from btcbot.isolation.child import main

sys.exit(main(sys.argv[1:]))
