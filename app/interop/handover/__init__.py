"""Handing a departing seller's customers over to colleagues, in one transaction."""
