"""Operators' PINs, the tokens a login issues, and the guard every action passes.

Pure of Textual and peewee: the token and lockout state lives behind small ports
that :mod:`pos.db` implements.
"""
