"""`python -m backpain_cli` (and the `backpain` script): everything is in cli/."""
from .cli import main

if __name__ == "__main__":
    main()
