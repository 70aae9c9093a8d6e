"""A secret, revocable calendar feed of each seller's follow-ups."""
