"""Factor computation: every family from the marts into the factor mart."""
