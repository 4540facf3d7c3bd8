import sys

from symkan.cli import main

sys.exit(main())
