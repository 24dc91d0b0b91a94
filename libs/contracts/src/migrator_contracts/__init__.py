"""The bus contract: subjects, streams, commands, events, log lines and read-model documents.

Data only: nothing here performs I/O, so every service (and an operator's hand-written
JSON) agrees on the same shapes.
"""
