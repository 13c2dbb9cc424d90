"""Payment providers behind one interface (base.py); one module per provider; registry.py lists them."""
