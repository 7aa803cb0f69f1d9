"""`factor-mart bench api`: REST latency and stream delivery against a real server process."""
