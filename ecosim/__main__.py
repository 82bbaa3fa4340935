import sys

from ecosim.cli import main

sys.exit(main())
