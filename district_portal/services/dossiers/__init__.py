"""Dossiers and their workflow: filing, the transition table, codes, the inbox."""
