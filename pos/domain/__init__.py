"""The till's pure core: money, barcodes, the cart and receipt text.

Nothing here imports Textual, peewee or any other third-party package, so every
rule can be tested as a plain function (an import-linter contract enforces it).
"""
