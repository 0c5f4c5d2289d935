import sys

from brainloop_tui.cli import main

sys.exit(main())
