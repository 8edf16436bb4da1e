"""python -m pts_explorer.synthetic: write the seeded demo cohort (see generator.main)."""

import sys

from pts_explorer.synthetic.generator import main

sys.exit(main())
