import sys

from operata.cli import main

sys.exit(main())
