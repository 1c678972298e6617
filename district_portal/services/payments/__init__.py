"""Paying a dossier's fee (DESIGN.md §6): online through a provider, or at the desk.

A provider starts a payment (a redirect URL), shows the return page (display only) and sends
a server-to-server notification (IPN), the only thing that settles an online payment. Every
settled payment goes through the workflow's `pay` action in the same transaction and gets an
e-receipt number, gap-free per collecting office and year.
"""
