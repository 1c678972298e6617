"""Documents: the PDF engine, slips, results and their issue, ledgers, verification."""
