"""A strategy module whose import never ends (an endless loop at module level)."""

while True:
    pass
