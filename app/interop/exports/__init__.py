"""Taking data out (the whole zip, vCards) and bringing vCards in."""
