"""Research on the lake's lists: the reconstitution effect on prices (price-file import, event paths,
chart).

Its other rooms (docs/code_layout.md, Domains): the `import-prices` and `event-study` verbs in
`cli/research.py`; the assets in `defs/research/`; each year's inputs, read from the lake, and what is out
of date in `planning/research_years.py`."""
