"""Drop-in replacements for other simulators' Python APIs (``neuroplast.compat.sorn``)."""
