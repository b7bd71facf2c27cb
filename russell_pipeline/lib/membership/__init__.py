"""Membership history from the lists, its reconciliation with the change lists, list revisions."""
