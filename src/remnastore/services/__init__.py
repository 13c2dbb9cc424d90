"""Use cases, one module per capability; plain data in and out, no aiogram."""
