"""The record change trail (R7): written by services in their transaction, read per record."""
