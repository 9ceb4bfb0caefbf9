"""Demo data: industry journey templates (``catalog``) and the generator with planted truths."""
