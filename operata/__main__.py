import os
import sys

from operata.cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # the reader went away (`| head`): what it wanted was written
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(141)
