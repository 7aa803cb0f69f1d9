"""`factor-mart bench`: full build, daily increment, engine comparison and backend ratio."""
