"""Spreadsheet import: mapping, planning (checks and duplicates), writing, jobs, pages."""
