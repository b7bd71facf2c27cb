"""What is out of date and why: input digests, computed code versions, partition keys, attempts."""
