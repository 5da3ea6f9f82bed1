import sys

from brwatch.cli import main

sys.exit(main())
