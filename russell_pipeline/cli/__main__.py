"""`python -m russell_pipeline.cli`: the russell-pipeline command."""

import os
import sys

from russell_pipeline.cli import main

if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
