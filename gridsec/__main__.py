import sys

from gridsec.cli import main

sys.exit(main())
