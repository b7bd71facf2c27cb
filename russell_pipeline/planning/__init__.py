"""What is out of date and why: input digests, computed code versions, and build's runner."""
