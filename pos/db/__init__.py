"""The model layer: the only package that imports peewee."""
