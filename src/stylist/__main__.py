"""`python -m stylist` is the `stylist` command."""

from stylist.cli import main

main()
