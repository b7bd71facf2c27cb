"""The security master: which company and which security each ticker a document prints stands for, on
its date, the tickers each security carried and when, and the evidence of each fact."""
