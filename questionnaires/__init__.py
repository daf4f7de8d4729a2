# The shipped question definitions (TOML). A package only so that importlib.resources
# finds them both in a source checkout and in an installed wheel.
