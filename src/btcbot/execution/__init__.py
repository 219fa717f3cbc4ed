"""The only code that submits or cancels orders."""
