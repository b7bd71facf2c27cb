"""Research on the lake's lists: the reconstitution effect on prices (price-file import, event paths,
chart)."""
