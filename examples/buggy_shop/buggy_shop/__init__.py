"""A small shop with real bugs: the code this repository's own plan (plans/) repairs."""
