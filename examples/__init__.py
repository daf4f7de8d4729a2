# Sample answers files. A package only so that the installed tool can find the demo.
